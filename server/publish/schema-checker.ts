import { pathToFileURL } from 'node:url';
import { MessageChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { AppError } from '../core/errors.ts';
import type { JsonSchema, SchemaProblem } from './json-schema.ts';
import type { SchemaTask, SchemaTaskOut } from './schema-task.ts';
import { fromRoot } from '../core/root.ts';

/**
 * Custom event types carry tenants' JSON Schemas, which ajv turns into JavaScript and runs on
 * what publishers send. RE2 keeps each pattern linear, but a schema is still a program: 800
 * `anyOf` branches over a 100,000-item array is tens of seconds of compiled code that nothing can
 * interrupt in-process. So tenants' schemas are compiled and run in a worker thread with a
 * deadline: past it the worker is terminated (piscina starts another) and the check fails with a
 * 422, while the API's event loop never waited. The built-in types' schemas are ours and stay
 * in-process (json-schema.ts).
 */
const SCHEMA_DEADLINES = { validateMs: 250, compileMs: 2000, maxWaitMs: 5000 };

const WORKER_FILE = pathToFileURL(fromRoot('server/publish/schema-worker.mjs')).href;

let pool: Piscina<SchemaTask, SchemaTaskOut> | null = null;
function workers(): Piscina<SchemaTask, SchemaTaskOut> {
  pool ??= new Piscina<SchemaTask, SchemaTaskOut>({
    filename: WORKER_FILE,
    minThreads: 0,
    maxThreads: 2,
    // Idle threads leave, so that an idle process (or a finished test) holds none.
    idleTimeout: 15_000,
    execArgv: [],
    resourceLimits: { maxOldGenerationSizeMb: 128, maxYoungGenerationSizeMb: 32 },
  });
  return pool;
}

async function run(task: Omit<SchemaTask, 'port'>, deadlineMs: number): Promise<SchemaProblem[]> {
  const { port1, port2 } = new MessageChannel();
  const abort = new AbortController();
  let stage: 'queued' | 'running' = 'queued';
  let timer = setTimeout(() => abort.abort(), SCHEMA_DEADLINES.maxWaitMs);
  // A worker's start (tsx, ajv) and the queue are not the schema's time: the deadline starts with the check.
  port1.once('message', () => {
    stage = 'running';
    clearTimeout(timer);
    timer = setTimeout(() => abort.abort(), deadlineMs);
  });
  let out: SchemaTaskOut;
  try {
    out = await workers().run({ ...task, port: port2 }, { signal: abort.signal, transferList: [port2] });
  } catch (err) {
    if (abort.signal.aborted && stage === 'queued') {
      throw new AppError(503, 'SERVICE_UNAVAILABLE', 'Schema checks are busy; retry shortly.', undefined, { 'Retry-After': '1' });
    }
    if (abort.signal.aborted) {
      throw new AppError(
        422,
        'SCHEMA_CHECK_FAILED',
        `The schema check did not finish within ${deadlineMs} ms and was stopped; simplify the schema (fewer branches, shorter patterns) or send smaller data.`,
      );
    }
    if ((err as { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY') {
      throw new AppError(422, 'SCHEMA_CHECK_FAILED', 'The schema check ran out of memory and was stopped.');
    }
    throw err;
  } finally {
    clearTimeout(timer);
    port1.close();
  }
  if (!out.ok) throw new AppError(out.status, out.code, out.message, out.details);
  return out.problems;
}

/** Compiles a tenant's schema (a 422 naming the problem when it does not) and checks `value` against it when given. */
export function checkSchema(schema: JsonSchema, where: string, value?: unknown, root?: string): Promise<SchemaProblem[]> {
  return run({ schema, where, value, root }, SCHEMA_DEADLINES.compileMs);
}

/** Validates `value` against a stored tenant schema under the short deadline of a publish. */
export function validateWithSchema(schema: JsonSchema, value: unknown, root: string): Promise<SchemaProblem[]> {
  return run({ schema, where: 'schema', value, root }, SCHEMA_DEADLINES.validateMs);
}
