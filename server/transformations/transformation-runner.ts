import { sql } from 'kysely';
import { maskHeaders } from '../../connectors/shared/secret-headers.ts';
import { newId } from '../core/ids.ts';
import { withoutNul } from '../core/nul.ts';
import type { NewTransformationExecution } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import type { Sandbox, SandboxRequest, SandboxResult } from './sandbox.ts';

/** A saved transformation as the sandbox needs it; `version` is its updated_at as PostgreSQL prints it. */
export type LoadedTransformation = { id: string; workspace_id: string; name: string; code: string; env: Record<string, string>; version: string };

/** What the code sees as its second argument (besides env); team_id also says whose queue the run waits in. */
export type RunContext = { team_id: string } & Record<string, unknown>;

/** Where a run came from, stored with its execution. */
export type RunOrigin = { event_id?: string | null; request_id?: string | null; connection_id?: string | null };

/** Input and output are kept for the executions' pages; a bigger body is left out (its size is noted) rather than stored twice per event. */
const MAX_STORED_BODY_BYTES = 64 * 1024;

export function storedRequest(request: SandboxRequest): unknown {
  const body = JSON.stringify(request.body ?? null);
  if (Buffer.byteLength(body, 'utf8') <= MAX_STORED_BODY_BYTES) return request;
  return { ...request, body: null, body_omitted_bytes: Buffer.byteLength(body, 'utf8') };
}

const masked = (request: SandboxRequest): SandboxRequest => ({ ...request, headers: maskHeaders(request.headers) });

/** An input the sandbox refused for its depth could overflow the serialising below (and PostgreSQL's jsonb): its body is left out. */
const tooDeep = (result: SandboxResult) => !result.ok && result.error.code === 'TOO_DEEP';

/** What one run leaves behind; the delivery engine writes these with its batch of outcomes. */
export function executionRow(
  t: Pick<LoadedTransformation, 'id' | 'workspace_id'>,
  input: SandboxRequest,
  result: SandboxResult,
  origin: RunOrigin = {},
): NewTransformationExecution {
  return {
    id: newId('exe'),
    workspace_id: t.workspace_id,
    transformation_id: t.id,
    event_id: origin.event_id ?? null,
    request_id: origin.request_id ?? null,
    connection_id: origin.connection_id ?? null,
    status: result.ok ? 'ok' : 'failed',
    error_code: result.ok ? null : result.error.code,
    error_message: result.ok ? null : withoutNul(result.error.message),
    // An execution is a log: no credential in clear (the inbound one, or one the code added from its
    // variables), and no NUL, which PostgreSQL refuses and a sender or the code can put anywhere.
    logs: JSON.stringify(withoutNul(result.logs)),
    original: JSON.stringify(withoutNul(storedRequest(masked(tooDeep(result) ? { ...input, body: null } : input)))),
    transformed: result.ok ? JSON.stringify(withoutNul(storedRequest(masked(result.request)))) : null,
    duration_ms: Math.round(result.duration_ms),
    created_at: new Date(),
  };
}

/**
 * Loads saved transformations for the sandbox. Deliveries pass the version their claim read, so
 * the code and decrypted variables are fetched once per change of the transformation, not once
 * per event; an edit is picked up by the next delivery (and by a manual retry).
 */
export class TransformationRunner {
  private readonly cache = new Map<string, LoadedTransformation>();

  constructor(private readonly deps: Pick<Deps, 'db' | 'box' | 'sandbox'>) {}

  /** A deleted or unknown transformation is null. */
  async load(id: string, version?: string | null): Promise<LoadedTransformation | null> {
    const hit = this.cache.get(id);
    // Callers without a version (previews, dry runs) are rare and must see an edit made a moment ago: they read afresh.
    if (hit && version && hit.version === version) return hit;
    const row = await this.deps.db
      .selectFrom('transformations')
      .select(['id', 'workspace_id', 'name', 'code', 'env_enc', sql<string>`updated_at::text`.as('version')])
      .where('id', '=', id)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    if (!row) {
      this.cache.delete(id);
      return null;
    }
    const t = {
      id: row.id,
      workspace_id: row.workspace_id,
      name: row.name,
      code: row.code,
      env: this.deps.box.openJson<Record<string, string>>(row.env_enc),
      version: row.version,
    };
    if (this.cache.size > 5000) this.cache.clear();
    this.cache.set(id, t);
    return t;
  }

  /** The run waits in its team's queue (context.team_id), so another team's flood does not hold it up. */
  run(t: Pick<LoadedTransformation, 'code' | 'env'>, request: SandboxRequest, context: RunContext): Promise<SandboxResult> {
    return this.deps.sandbox.run({ code: t.code, env: t.env, request, context, team: context.team_id });
  }
}

const runners = new WeakMap<object, TransformationRunner>();

/** One runner (and cache) per hub, for every caller that shapes deliveries. */
export function runnerFor(deps: Pick<Deps, 'db' | 'box' | 'sandbox'>): TransformationRunner {
  let r = runners.get(deps.sandbox);
  if (!r) {
    r = new TransformationRunner(deps);
    runners.set(deps.sandbox, r);
  }
  return r;
}

/** Starts the sandbox's worker threads on the first run: most processes (and test hubs) never run a transformation. */
export function lazySandbox(create: () => Sandbox): Sandbox {
  let sandbox: Sandbox | null = null;
  let closed = false;
  return {
    run(input) {
      if (closed) return Promise.reject(new Error('the transformation sandbox is closed'));
      sandbox ??= create();
      return sandbox.run(input);
    },
    usage() {
      return sandbox?.usage() ?? { threads: 0, busy: 0, waiting: 0 };
    },
    async close() {
      closed = true;
      await sandbox?.close();
    },
  };
}
