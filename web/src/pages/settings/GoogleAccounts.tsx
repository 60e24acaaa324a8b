import { useCallback, useState } from 'react';
import { api } from '../../api.ts';
import type { CredentialOut } from '../../../../shared/api.ts';
import { SignInWithGoogle, useGoogleOAuthStatus } from '../../flow/panels/GoogleSheetPicker.tsx';
import { Confirm, when } from '../gateway/parts.tsx';

type Account = Omit<CredentialOut, 'created_at' | 'updated_at'> & { created_at: string; updated_at: string };

/**
 * The Google accounts the team signed in with for Google Sheets: who they are, what uses them, and
 * Disconnect, which also revokes Wirehub's access at Google. Their tokens are never shown.
 */
export function GoogleAccounts({ accounts, reload }: { accounts: Account[]; reload: () => Promise<void> }) {
  const status = useGoogleOAuthStatus();
  const [disconnecting, setDisconnecting] = useState<Account | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const connected = useCallback(() => void reload(), [reload]);
  return (
    <div className="card" data-testid="google-accounts-card">
      <header className="row">
        <h2>Google accounts</h2>
      </header>
      {accounts.length === 0 && (
        <p className="muted">No Google account yet. Sign in with Google here or in a flow’s Google Sheet step: its rows are then written as that account.</p>
      )}
      {accounts.length > 0 && (
        <ul className="plain" data-testid="google-accounts">
          {accounts.map((a) => (
            <li key={a.id} className="row" data-testid={`google-account-${a.id}`}>
              <span>
                <strong>{a.google_account ?? a.hint}</strong>{' '}
                <span className="muted small-text">
                  connected {when(a.created_at)} · {a.used_by.length === 0 ? 'not used by any destination' : `used by ${a.used_by.length} destination(s)`}
                </span>
              </span>
              {!disconnecting && (
                <button className="danger" data-testid={`google-disconnect-${a.id}`} onClick={() => setDisconnecting(a)}>
                  Disconnect
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {disconnecting && (
        <Confirm
          verb="revoke"
          title={`Disconnect ${disconnecting.google_account ?? disconnecting.hint}?`}
          onCancel={() => setDisconnecting(null)}
          onConfirm={async () => {
            const r = await api<{ revoked?: boolean }>('DELETE', `/credentials/${disconnecting.id}`);
            setDone(
              r.revoked
                ? `Disconnected ${disconnecting.hint}; Google no longer lets Wirehub use it.`
                : `Disconnected ${disconnecting.hint} here; Google could not be told, so remove Wirehub in the Google account's security settings too.`,
            );
            setDisconnecting(null);
            await reload();
          }}
        >
          <p>Wirehub forgets the account and revokes its access at Google. A flow still using it must use another account first.</p>
        </Confirm>
      )}
      {done && (
        <p className="notice good" role="status" data-testid="google-disconnected">
          {done}
        </p>
      )}
      <SignInWithGoogle status={status} again={accounts.length > 0} onConnected={connected} />
    </div>
  );
}
