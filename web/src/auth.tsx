import { createContext, useCallback, useContext, useEffect, useState, type ReactNode } from 'react';
import { api, ApiError, session } from './api.ts';

export type Membership = { team_id: string; team_name: string; role: string };
export type Profile = {
  user: { id: string; email: string; name: string; picture_url?: string | null };
  team: { id: string; name: string; role: string } | null;
  memberships: Membership[];
};
type SessionOut = Profile & { token: string };

type Auth = {
  profile: Profile | null;
  loading: boolean;
  signup(input: { name: string; email: string; password: string; workspace: string }): Promise<void>;
  login(email: string, password: string): Promise<void>;
  demo(): Promise<void>;
  /** Signs in with the ID token Google Identity Services handed the page. */
  google(credential: string): Promise<void>;
  /** Re-reads the profile, e.g. after a team was created, joined or left. */
  refresh(): Promise<void>;
  logout(): Promise<void>;
  switchTeam(teamId: string): Promise<void>;
};

const AuthContext = createContext<Auth | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [profile, setProfile] = useState<Profile | null>(null);
  const [loading, setLoading] = useState(true);

  const refresh = useCallback(async () => {
    if (!session.token()) {
      setProfile(null);
      return;
    }
    try {
      setProfile(await api<Profile>('GET', '/auth/me'));
    } catch (err) {
      // The stored team is one the user has left or was removed from: fall back to the session's own.
      if (err instanceof ApiError && err.status === 403 && session.team()) {
        session.set(session.token(), null);
        return refresh();
      }
      // An expired or revoked session: back to the log-in page.
      session.set(null);
      setProfile(null);
    }
  }, []);

  useEffect(() => {
    void refresh().finally(() => setLoading(false));
  }, [refresh]);

  const start = (out: SessionOut) => {
    session.set(out.token, out.team?.id ?? null);
    setProfile(out);
  };

  const value: Auth = {
    profile,
    loading,
    signup: async (input) => start(await api<SessionOut>('POST', '/auth/signup', input)),
    login: async (email, password) => start(await api<SessionOut>('POST', '/auth/login', { email, password })),
    demo: async () => start(await api<SessionOut>('POST', '/auth/demo/login')),
    google: async (credential) => start(await api<SessionOut>('POST', '/auth/google/login', { credential })),
    refresh,
    logout: async () => {
      await api('POST', '/auth/logout').catch(() => undefined);
      session.set(null);
      setProfile(null);
    },
    switchTeam: async (teamId) => {
      session.set(session.token(), teamId);
      await refresh();
    },
  };
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): Auth {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error('useAuth outside AuthProvider');
  return auth;
}
