import type { ExecutionOut, RunOut as RunOutServer, TransformationOut, SandboxLog, SandboxRequest } from '../../../../shared/api.ts';
import type { Wire } from '../gateway/types.ts';

/** The transformations API's own types, as they arrive over JSON. */
export type Transformation = Wire<TransformationOut>;
export type Execution = Wire<ExecutionOut>;
export type RunOut = Wire<RunOutServer>;
export type SampleRequest = SandboxRequest;
export type Log = SandboxLog;

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
