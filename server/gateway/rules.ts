import { boundedQuery } from './bounded-filter.ts';
import { z } from 'zod';
import { EnvelopeKind, envelopeConflicts } from '../../shared/envelope.ts';
import { compileEntry, compileExpression, MappingError, Mappings, type MappingEntryT } from './mappings.ts';
import { CodeSchema, EnvSchema } from '../transformations/transformation-schema.ts';
import { nameSchema } from '../core/validate.ts';

/*
 * A connection's rules run in one normalized order, whatever their order in `rules`:
 *
 *   filter (original request) → deduplicate → delay            at ingest
 *   → transformation → filter (transformed request) → transform  at delivery
 *   → deliver, with retry on failure
 *
 * The only place where the listed order matters is filters around a transformation: a filter
 * listed before the transformation rule reads the request as it arrived (and turns it away at
 * ingest, cause FILTERED); a filter listed after it reads what the transformation returned (an
 * event it turns away at delivery is ignored, cause TRANSFORMATION_FILTERED).
 */

/** Mongo-style conditions; nested plain objects mean "these fields match", as in Hookdeck filters. */
const condition = z.union([z.record(z.string(), z.unknown()), z.string(), z.number(), z.boolean(), z.null()]);

/**
 * The flow step (node id) a rule was written for: a request the rule turns away is recorded as that
 * step's (ignored_events.step), which is how the canvas counts each step's drops.
 */
const StepLabel = z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'a step is a flow node id: 1-40 letters, digits, _ or -');

const FilterRule = z
  .object({
    type: z.literal('filter'),
    step: StepLabel.optional(),
    body: condition.optional(),
    headers: condition.optional(),
    query: condition.optional(),
    path: condition.optional(),
  })
  .strict()
  .superRefine((rule, ctx) => {
    try {
      compileFilter(rule);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: `invalid filter: ${(err as Error).message}` });
    }
  });

const statusCodeSpec = z.string().regex(/^!?\d{3}(-\d{3})?$/, 'use a status code such as "500", a range "500-599", or "!404" to exclude');

const RetryRule = z
  .object({
    type: z.literal('retry'),
    strategy: z.enum(['linear', 'exponential']).default('exponential'),
    count: z.number().int().min(0).max(50).default(5),
    interval: z.number().int().min(1000).max(86_400_000).default(60_000),
    response_status_codes: z.array(statusCodeSpec).max(50).optional(),
  })
  .strict();

/**
 * The hub's field mappings on a connection. For published events the mapped fields are wrapped in
 * the stable envelope; without `mappings` every field of the event's data is passed on. For an
 * inbound request the mappings read `{headers, body, query, path}` and their result is the body.
 * An `expression` (JSONata) runs first, on the event's data or on the request, and its result (an
 * object) replaces the data or the body that the mappings then read.
 */
const TransformRule = z
  .object({
    type: z.literal('transform'),
    expression: z.string().min(1).max(4000).optional(),
    mappings: Mappings.nullable().default(null),
    envelope: EnvelopeKind.default('flat'),
  })
  .strict()
  .superRefine((rule, ctx) => {
    if (rule.expression !== undefined) {
      try {
        compileExpression(rule.expression);
      } catch (err) {
        ctx.addIssue({ code: 'custom', path: ['expression'], message: (err as Error).message });
      }
    }
    for (const issue of mappingProblems(rule.mappings, rule.envelope)) ctx.addIssue({ code: 'custom', ...issue });
  });

/** Seed 002: "delay must be between 0 and 86400000 ms". The event waits `SCHEDULED` until then. */
const DelayRule = z
  .object({
    type: z.literal('delay'),
    delay: z.number().int().min(0).max(86_400_000),
  })
  .strict();

/** A dot path into the request as rules see it, e.g. `body.data.email` or `headers.x-request-id`. */
const requestField = z
  .string()
  .max(500)
  .regex(/^(body|headers|query|path)(\.[^.\s[\]]+|\[\d+\])*$/, 'use a dot path into the request such as body.data.email, headers.x-request-id or query.id');

/**
 * Seed 002: "deduplicate.window must be between 1000 and 3600000 ms". Events of this connection
 * that agree on `include_fields` (or on the whole body minus `exclude_fields`, or on the whole
 * body) within the window of the first one are ignored as `DUPLICATE`.
 */
const DeduplicateRule = z
  .object({
    type: z.literal('deduplicate'),
    step: StepLabel.optional(),
    window: z.number().int().min(1000).max(3_600_000),
    include_fields: z.array(requestField).min(1).max(50).optional(),
    exclude_fields: z.array(requestField).min(1).max(50).optional(),
  })
  .strict()
  .superRefine((rule, ctx) => {
    if (rule.include_fields && rule.exclude_fields) {
      ctx.addIssue({ code: 'custom', path: ['exclude_fields'], message: 'give include_fields or exclude_fields, not both' });
    }
  });

/**
 * User JavaScript (a saved transformation, or one written inline). On save an inline one is
 * upserted by name into the team's transformations and the stored rule keeps only its id (seed 002).
 */
const TransformationRule = z
  .object({
    type: z.literal('transformation'),
    transformation_id: z.string().trim().min(1).max(64).optional(),
    transformation: z.object({ name: nameSchema, code: CodeSchema, env: EnvSchema.optional() }).strict().optional(),
  })
  .strict()
  .superRefine((rule, ctx) => {
    if (rule.transformation_id === undefined && rule.transformation === undefined) {
      ctx.addIssue({ code: 'custom', path: ['transformation_id'], message: 'give transformation_id, or an inline transformation {name, code, env}' });
    } else if (rule.transformation_id !== undefined && rule.transformation !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['transformation'], message: 'give transformation_id or an inline transformation, not both' });
    }
  });

/** Compile errors and envelope collisions, each with the path of the entry at fault. */
export function mappingProblems(mappings: MappingEntryT[] | null, envelope: z.output<typeof EnvelopeKind>): { path: (string | number)[]; message: string }[] {
  if (!mappings) return [];
  const problems: { path: (string | number)[]; message: string }[] = [];
  mappings.forEach((m, i) => {
    if (envelopeConflicts(envelope, [m.to]).length) {
      problems.push({ path: ['mappings', i, 'to'], message: `"${m.to}" belongs to the ${envelope} envelope and cannot be mapped` });
    }
    try {
      compileEntry(m, i);
    } catch (err) {
      if (!(err instanceof MappingError)) throw err;
      problems.push({ path: ['mappings', i, 'expression'], message: err.message });
    }
  });
  return problems;
}

const SUPPORTED = ['filter', 'retry', 'transform', 'delay', 'deduplicate', 'transformation'] as const;

export const RuleSchema = z
  .unknown()
  .superRefine((value, ctx) => {
    const type = (value as { type?: unknown } | null)?.type;
    if (typeof type !== 'string' || !(SUPPORTED as readonly string[]).includes(type)) {
      ctx.addIssue({
        code: 'custom',
        message: `unknown rule type "${String(type)}"; supported: ${SUPPORTED.join(', ')}`,
      });
    }
  })
  .pipe(z.discriminatedUnion('type', [FilterRule, RetryRule, TransformRule, DelayRule, DeduplicateRule, TransformationRule]));

export const RulesSchema = z
  .array(RuleSchema)
  .max(20)
  .superRefine((rules, ctx) => {
    const seen = new Set<string>();
    rules.forEach((r, i) => {
      if (!r) return; // a null rule is already reported by RuleSchema
      // Several filters all have to match; every other rule type would be ambiguous twice.
      if (r.type === 'filter') return;
      if (seen.has(r.type)) ctx.addIssue({ code: 'custom', path: [i, 'type'], message: `only one ${r.type} rule is allowed` });
      seen.add(r.type);
    });
  });

export type Rule = z.infer<typeof RuleSchema>;
export type FilterRuleT = Extract<Rule, { type: 'filter' }>;
export type RetryRuleT = Extract<Rule, { type: 'retry' }>;
export type TransformRuleT = Extract<Rule, { type: 'transform' }>;
export type DelayRuleT = Extract<Rule, { type: 'delay' }>;
export type DeduplicateRuleT = Extract<Rule, { type: 'deduplicate' }>;
export type TransformationRuleT = Extract<Rule, { type: 'transformation' }>;

/** Filters run at ingest on the request as it came, and those listed after a transformation rule at delivery on its result. */
export function splitFilters(rules: Rule[]): { ingest: FilterRuleT[]; transformed: FilterRuleT[] } {
  const cut = rules.findIndex((r) => r.type === 'transformation');
  const isFilter = (r: Rule): r is FilterRuleT => r.type === 'filter';
  if (cut < 0) return { ingest: rules.filter(isFilter), transformed: [] };
  return { ingest: rules.slice(0, cut).filter(isFilter), transformed: rules.slice(cut + 1).filter(isFilter) };
}

export type RequestView = { body: unknown; headers: Record<string, string>; query: Record<string, unknown>; path: string };

export const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `{body: {a: {b: 1}}}` becomes `{"body.a.b": 1}` so that unspecified fields do not have to match. */
function flatten(prefix: string, value: unknown, out: Record<string, unknown>) {
  if (isPlainObject(value) && !Object.keys(value).some((k) => k.startsWith('$'))) {
    for (const [k, v] of Object.entries(value)) flatten(prefix ? `${prefix}.${k}` : k, v, out);
  } else if (isPlainObject(value) && prefix === '') {
    for (const [k, v] of Object.entries(value)) {
      out[k] = Array.isArray(v) && (k === '$or' || k === '$and' || k === '$nor') ? v.map((c) => toCriteria(c)) : v;
    }
  } else if (isPlainObject(value) && (value.$or || value.$and || value.$nor)) {
    // A logical operator below a field: scope each branch to that field.
    const [op, branches] = Object.entries(value)[0];
    out[op] = (branches as unknown[]).map((b) => toCriteria(b, prefix));
  } else {
    out[prefix] = value;
  }
}

function toCriteria(value: unknown, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  flatten(prefix, value, out);
  return out;
}

export type CompiledFilter = (req: RequestView) => boolean;

export function compileFilter(rule: Omit<FilterRuleT, 'type'>): CompiledFilter {
  const criteria: Record<string, unknown> = {};
  for (const part of ['body', 'headers', 'query', 'path'] as const) {
    if (rule[part] === undefined) continue;
    let cond = rule[part];
    if (part === 'headers' && isPlainObject(cond)) cond = Object.fromEntries(Object.entries(cond).map(([k, v]) => [k.toLowerCase(), v]));
    if (!isPlainObject(cond)) criteria[part] = cond;
    else Object.assign(criteria, toCriteria(cond, part));
  }
  const test = boundedQuery(criteria);
  test({ body: {}, headers: {}, query: {}, path: '/' }); // a bad operator fails on save, not at ingest
  return test;
}

/**
 * A filter saved before the current limits may no longer compile; it must not stop the source's
 * other connections, so each request it meets becomes an ignored event saying why.
 */
export function compileStoredFilter(rule: Omit<FilterRuleT, 'type'>): CompiledFilter {
  try {
    return compileFilter(rule);
  } catch (err) {
    const message = `the saved filter is no longer accepted: ${(err as Error).message}`;
    return () => {
      throw new Error(message);
    };
  }
}

export function statusMatches(specs: string[] | undefined, status: number): boolean | null {
  if (!specs || specs.length === 0) return null;
  let included = false;
  let hasInclude = false;
  for (const spec of specs) {
    const negate = spec.startsWith('!');
    const [lo, hi] = spec.replace('!', '').split('-').map(Number);
    const hit = status >= lo && status <= (hi ?? lo);
    if (negate && hit) return false;
    if (!negate) {
      hasInclude = true;
      if (hit) included = true;
    }
  }
  return hasInclude ? included : true;
}
