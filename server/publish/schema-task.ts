import type { MessagePort } from 'node:worker_threads';
import { AppError } from '../core/errors.ts';
import { compileSchema, validateValue, type JsonSchema, type SchemaProblem } from './json-schema.ts';

/** `port` hears "started" when the worker takes the task: the deadline counts from then, not from the queue. */
export type SchemaTask = { schema: JsonSchema; where: string; value?: unknown; root?: string; port: MessagePort };
export type SchemaTaskOut = { ok: true; problems: SchemaProblem[] } | { ok: false; status: number; code: string; message: string; details?: unknown };

/** One check in the schema worker: compile (cached by the schema's text) and, given a value, validate it. */
export function checkTask(task: SchemaTask): SchemaTaskOut {
  task.port.postMessage('started');
  try {
    const validate = compileSchema(task.schema, task.where);
    return { ok: true, problems: task.value === undefined ? [] : validateValue(validate, task.value, task.root ?? 'data') };
  } catch (err) {
    if (err instanceof AppError) return { ok: false, status: err.status, code: err.code, message: err.message, details: err.details };
    // A regex over its text budget, a stack exhausted by a deep value: the value cannot be checked.
    return { ok: false, status: 422, code: 'SCHEMA_CHECK_FAILED', message: `The schema check could not finish: ${(err as Error).message}` };
  }
}
