/** The portal's one way to the API: session token and workspace from local storage, JSON errors as ApiError. */
/** One problem of an error: a flow's also say it as a `sentence` naming the step, and name the node it is at. */
export type ErrorDetail = { path?: string; message: string; sentence?: string; node_id?: string };

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
  }
}

const TOKEN = 'wirehub.token';
const TEAM = 'wirehub.team';

export const session = {
  token: () => localStorage.getItem(TOKEN),
  team: () => localStorage.getItem(TEAM),
  set(token: string | null, team?: string | null) {
    if (token) localStorage.setItem(TOKEN, token);
    else localStorage.removeItem(TOKEN);
    if (team) localStorage.setItem(TEAM, team);
    else if (team === null || !token) localStorage.removeItem(TEAM);
  },
};

/** `signal`: a long poll the caller gives up (the "Listen for a test request" of a panel closed) rejects with its AbortError. */
export async function api<T>(
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  path: string,
  body?: unknown,
  opts: { signal?: AbortSignal } = {},
): Promise<T> {
  const headers: Record<string, string> = {};
  const token = session.token();
  const team = session.team();
  if (token) headers.authorization = `Bearer ${token}`;
  if (team) headers['x-team-id'] = team;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: opts.signal });
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    throw new ApiError(0, 'NETWORK', 'Wirehub could not be reached. Check your connection and try again.');
  }
  const text = await res.text();
  const json: unknown = text ? safeJson(text) : undefined;
  if (!res.ok) {
    const err = (json as { error?: { code?: string; message?: string; details?: unknown } } | undefined)?.error;
    const details = Array.isArray(err?.details) ? (err.details as ErrorDetail[]) : [];
    throw new ApiError(res.status, err?.code ?? `HTTP_${res.status}`, err?.message ?? `The request failed (${res.status}).`, details);
  }
  return json as T;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
