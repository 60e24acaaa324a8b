/** The transformations API as the portal reads it (server/transformations/transformations.service.ts). */
export type Transformation = {
  id: string;
  name: string;
  code: string;
  env: Record<string, string>;
  created_at: string;
  updated_at: string;
};

export type SampleRequest = { headers: Record<string, string>; body: unknown; query: Record<string, unknown>; path: string };
export type Log = { level: string; message: string; at_ms?: number };

export type RunOut = {
  ok: boolean;
  request?: SampleRequest | null;
  error?: { code: string; message: string } | null;
  logs: Log[];
  duration_ms: number;
};

export type Execution = {
  id: string;
  status: 'ok' | 'failed';
  error_code: string | null;
  error_message: string | null;
  event_id: string | null;
  duration_ms: number;
  created_at: string;
  logs?: Log[];
  original?: unknown;
  transformed?: unknown;
};

export const STARTER_CODE = `// Runs for every request of the connections that use it, before delivery.
// request: { headers, body, query, path } — return it (changed) to send that instead.
addHandler("transform", (request, context) => {
  request.headers["x-processed-by"] = "wirehub";
  request.body = { ...request.body, received_at: new Date().toISOString() };
  return request;
});
`;

export const STARTER_SAMPLE = JSON.stringify({ headers: { 'content-type': 'application/json' }, body: { hello: 'world' }, query: {}, path: '/' }, null, 2);

/** `KEY=value` lines, the way people paste environment variables. */
export function parseEnv(text: string): { env: Record<string, string>; problem: string | null } {
  const env: Record<string, string> = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq <= 0) return { env, problem: `Line ${i + 1}: write KEY=value.` };
    env[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return { env, problem: null };
}

export const formatEnv = (env: Record<string, string>) =>
  Object.entries(env)
    .map(([k, v]) => `${k}=${v}`)
    .join('\n');
