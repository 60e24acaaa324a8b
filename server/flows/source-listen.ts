import { z } from 'zod';
import { AppError } from '../core/errors.ts';
import type { Deps } from '../deps.ts';
import { bodyForReading } from '../gateway/body.ts';
import type { RequestView } from '../gateway/rules.ts';
import { sourceProblem, type SourceSamples } from './source-sample.ts';

/**
 * "Listen for a test request": the editor long-polls until the next request reaches a source.
 * Long polling rather than server-sent events because the portal authenticates with an
 * Authorization header, which EventSource cannot send; a plain request can, and needs no second
 * kind of credential. Each wait is bounded (MAX_WAIT_S, under the idle timeout of common
 * proxies); the editor asks again with the cursor it got, and stops after two minutes.
 *
 * The request is found by reading what ingest stored, every POLL_MS: any API process may have
 * taken it, and the embedded database carries no NOTIFY between connections. So what is shown is
 * the stored request (credentials masked as in the log), read only from the caller's workspace.
 */
export const MAX_WAIT_S = 25;
const POLL_MS = 400;
/** A sender's body beyond this is shown cut, as text, and cannot become the sample. */
export const SAMPLE_MAX_BYTES = 64 * 1024;
/** Waits open at once in this process: per team, and in all. */
export const LISTEN_LIMITS = { perTeam: 5, total: 200 };

const NO_REQUEST = 'req_00000000000000000000000000';

export const ListenQuery = z
  .object({
    source_id: z.string().min(1, 'name the source (source_id)').max(64),
    after: z
      .string()
      .regex(/^req_[0-9a-z]{26}$/, 'must be the cursor of the previous answer (a request id, req_…)')
      .optional(),
    wait: z.coerce.number().int().min(1).max(MAX_WAIT_S).default(MAX_WAIT_S),
  })
  .strict();

/** A request as the listener shows it; `sample` is what the flow's steps would read. */
export type HeardRequest = {
  request_id: string;
  received_at: Date;
  method: string;
  status: 'accepted' | 'rejected';
  /** Why verification turned it away (a rejected request runs no flow). */
  rejection_cause: string | null;
  sample: RequestView;
  /** The body's size as received, in bytes; `truncated`: the sample's body is its first SAMPLE_MAX_BYTES, as text. */
  size: number;
  truncated: boolean;
};

/** `cursor`: what to send back as `after` to hear the request after this one. */
export type ListenOut = { status: 'waiting'; cursor: string } | { status: 'received'; cursor: string; request: HeardRequest };

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

export function sourceListener(deps: Pick<Deps, 'db' | 'config'>, samples: SourceSamples, limits = LISTEN_LIMITS) {
  const { db } = deps;
  const open = new Map<string, number>();
  let total = 0;

  function take(ws: string): () => void {
    const mine = open.get(ws) ?? 0;
    if (mine >= limits.perTeam || total >= limits.total) {
      const who = mine >= limits.perTeam ? `Your team already listens for ${mine} requests at once` : 'Too many editors are listening right now';
      throw new AppError(429, 'TOO_MANY_LISTENERS', `${who}: stop one (or close its tab) and try again.`, undefined, { 'Retry-After': '5' });
    }
    open.set(ws, mine + 1);
    total++;
    return () => {
      const left = (open.get(ws) ?? 1) - 1;
      if (left > 0) open.set(ws, left);
      else open.delete(ws);
      total--;
    };
  }

  const latest = async (ws: string, sourceId: string) =>
    (
      await db
        .selectFrom('requests')
        .select('id')
        .where('source_id', '=', sourceId)
        .where('workspace_id', '=', ws)
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst()
    )?.id ?? NO_REQUEST;

  async function next(ws: string, sourceId: string, after: string): Promise<HeardRequest | null> {
    const row = await db
      .selectFrom('requests')
      .select(['id', 'status', 'rejection_cause', 'method', 'headers', 'query', 'path', 'content_type', 'body', 'created_at'])
      .where('source_id', '=', sourceId)
      .where('workspace_id', '=', ws)
      .where('id', '>', after)
      .orderBy('id', 'asc')
      .limit(1)
      .executeTakeFirst();
    if (!row) return null;
    const truncated = row.body.length > SAMPLE_MAX_BYTES;
    const body = truncated ? `${row.body.subarray(0, SAMPLE_MAX_BYTES).toString('utf8')}…` : bodyForReading(row.body, row.content_type);
    return {
      request_id: row.id,
      received_at: row.created_at,
      method: row.method,
      status: row.status === 'rejected' ? 'rejected' : 'accepted',
      rejection_cause: row.rejection_cause,
      sample: { headers: row.headers, body, query: row.query, path: row.path },
      size: row.body.length,
      truncated,
    };
  }

  return {
    /** Answers the first request after `after` (after now, without it), or `waiting` once `wait` seconds passed or the caller left. */
    async listen(ws: string, q: z.output<typeof ListenQuery>, signal: AbortSignal): Promise<ListenOut> {
      const source = await samples.find(ws, q.source_id);
      const problem = sourceProblem(source, q.source_id);
      if (problem)
        throw new AppError(source ? 422 : 404, source ? 'APPLICATION_SOURCE' : 'NOT_FOUND', `The ${problem}.`, [{ path: 'source_id', message: problem }]);
      const release = take(ws);
      let cursor = q.after ?? NO_REQUEST;
      try {
        if (!q.after) cursor = await latest(ws, q.source_id);
        const deadline = Date.now() + q.wait * 1000;
        while (!signal.aborted) {
          const heard = await next(ws, q.source_id, cursor);
          if (heard) return { status: 'received', cursor: heard.request_id, request: heard };
          const left = deadline - Date.now();
          if (left <= 0) break;
          await pause(Math.min(POLL_MS, left), signal);
        }
        return { status: 'waiting', cursor };
      } catch (err) {
        // The caller left while a query ran (the server closing its connections): nobody reads the answer.
        if (signal.aborted) return { status: 'waiting', cursor };
        throw err;
      } finally {
        release();
      }
    },
  };
}
