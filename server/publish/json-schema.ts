import { Ajv, type ErrorObject, type Options, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { AppError } from '../core/errors.ts';
import { SafeRegExp } from '../core/safe-regex.ts';

/** ajv-formats is CommonJS; under NodeNext its plugin is the module's `default`. */
const addFormats = addFormatsModule.default;

export type JsonSchema = Record<string, unknown>;
/** One failing field, in the same shape as every other validation error's details. */
export type SchemaProblem = { path: string; message: string; code: string };

const OPTIONS: Options = {
  // Every failing field is reported, not only the first.
  allErrors: true,
  // Unknown keywords (`example`, `x-…`) are ignored as annotations rather than refused.
  strict: false,
  // Schemas of different workspaces may carry the same `$id`; none is registered globally.
  addUsedSchema: false,
  // `pattern` and `patternProperties` are tenants' regexes over senders' text: RE2, linear time.
  code: { regExp: Object.assign((pattern: string, flags: string) => new SafeRegExp(pattern, flags), { code: 'SafeRegExp' }) },
};

// Draft 2020-12 and draft-07 cannot share an Ajv instance; a schema picks one with `$schema`.
const draft2020 = new Ajv2020(OPTIONS);
const draft07 = new Ajv(OPTIONS);
addFormats(draft2020);
addFormats(draft07);

const DIALECTS: Record<string, Ajv> = {
  'https://json-schema.org/draft/2020-12/schema': draft2020,
  'http://json-schema.org/draft-07/schema': draft07,
  'https://json-schema.org/draft-07/schema': draft07,
};

function dialectOf(schema: JsonSchema): Ajv | null {
  const declared = schema.$schema;
  if (declared === undefined) return draft2020;
  if (typeof declared !== 'string') return null;
  const dialect = declared.replace(/#$/, '');
  // Own properties only: `$schema: "constructor"` must not find Object's.
  return Object.hasOwn(DIALECTS, dialect) ? DIALECTS[dialect] : null;
}

const invalidSchema = (message: string, details?: SchemaProblem[]) =>
  new AppError(422, 'INVALID_SCHEMA', `The schema is not a valid JSON Schema: ${message}`, details);

const CACHE_LIMIT = 500;
const cache = new Map<string, ValidateFunction>();

/**
 * Compiles a JSON Schema (draft 2020-12 by default, draft-07 when it says so), or throws a 422
 * naming what is wrong with it. Compiled validators are kept by the schema's text, so a schema
 * is compiled once per process however often events are checked against it.
 */
export function compileSchema(schema: JsonSchema, where = 'schema'): ValidateFunction {
  const key = JSON.stringify(schema);
  const hit = cache.get(key);
  if (hit) {
    // Most recently used last, so the oldest entry is the one dropped.
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const ajv = dialectOf(schema);
  if (!ajv) {
    throw invalidSchema(
      `unsupported $schema ${JSON.stringify(schema.$schema)}; use "https://json-schema.org/draft/2020-12/schema" (the default) or "http://json-schema.org/draft-07/schema#"`,
      [{ path: `${where}.$schema`, message: 'unsupported JSON Schema dialect', code: 'dialect' }],
    );
  }
  if (!ajv.validateSchema(schema)) {
    const details = problemsOf(ajv.errors ?? [], where);
    throw invalidSchema(summary(details), details);
  }
  let validate: ValidateFunction;
  try {
    validate = ajv.compile(schema);
  } catch (err) {
    // Unresolvable $ref, a pattern that is not a regular expression, …
    throw invalidSchema((err as Error).message, [{ path: where, message: (err as Error).message, code: 'compile' }]);
  }
  cache.set(key, validate);
  if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  return validate;
}

/** Checks a value against a compiled schema; each problem is named by its path under `root` (e.g. `data.email`). */
export function validateValue(validate: ValidateFunction, value: unknown, root: string): SchemaProblem[] {
  if (validate(value)) return [];
  return problemsOf(validate.errors ?? [], root);
}

export function summary(problems: SchemaProblem[]): string {
  const head = problems
    .slice(0, 3)
    .map((p) => `${p.path}: ${p.message}`)
    .join('; ');
  return problems.length > 3 ? `${head}; and ${problems.length - 3} more` : head;
}

const MAX_PROBLEMS = 50;

function problemsOf(errors: ErrorObject[], root: string): SchemaProblem[] {
  const out: SchemaProblem[] = [];
  const seen = new Set<string>();
  for (const e of errors) {
    const segments =
      e.instancePath === ''
        ? []
        : e.instancePath
            .slice(1)
            .split('/')
            .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    let message = e.message ?? 'is invalid';
    // Name the missing or unexpected property at its own path, like any other offending field.
    if (e.keyword === 'required' || e.keyword === 'dependentRequired') {
      segments.push(String((e.params as { missingProperty: string }).missingProperty));
      message = 'is required';
    } else if (e.keyword === 'additionalProperties' || e.keyword === 'unevaluatedProperties') {
      const extra = e.params as { additionalProperty?: string; unevaluatedProperty?: string };
      segments.push(String(extra.additionalProperty ?? extra.unevaluatedProperty));
      message = 'is not an allowed property';
    }
    const path = [root, ...segments].join('.');
    const id = `${path}\u0000${message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    out.push({ path, message, code: e.keyword });
    if (out.length >= MAX_PROBLEMS) break;
  }
  return out;
}
