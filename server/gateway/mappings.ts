import { compileBounded, newBudget, type Budget } from './bounded-jsonata.ts';
import { z } from 'zod';

/**
 * Field mappings: each entry writes one field of the body a destination receives, from a path
 * into the event, a JSONata expression, or a constant. What a mapping does not produce is left
 * out, so every destination gets exactly the fields its owner mapped.
 */
const fieldName = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[^\x00-\x1f]+$/, 'must not contain control characters');
const path = z
  .string()
  .min(1)
  .max(500)
  .regex(/^[^.\s[\]]+(\.[^.\s[\]]+|\[\d+\])*$/, 'use a dotted path such as data.email or data.items[0].name');

export const MappingEntry = z
  .object({
    to: fieldName,
    from: path.optional(),
    expression: z.string().min(1).max(4000).optional(),
    value: z.unknown().optional(),
    default: z.unknown().optional(),
  })
  .strict()
  .superRefine((m, ctx) => {
    const given = (['from', 'expression', 'value'] as const).filter((k) => m[k] !== undefined);
    if (given.length !== 1) ctx.addIssue({ code: 'custom', message: 'give exactly one of from, expression or value' });
    if (m.value !== undefined && m.default !== undefined) ctx.addIssue({ code: 'custom', path: ['default'], message: 'a constant needs no default' });
  });
export type MappingEntryT = z.output<typeof MappingEntry>;

export const Mappings = z
  .array(MappingEntry)
  .max(200)
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((m, i) => {
      if (seen.has(m.to)) ctx.addIssue({ code: 'custom', path: [i, 'to'], message: `"${m.to}" is mapped twice` });
      seen.add(m.to);
    });
  });

/** A mapping that cannot compile or run, naming the entry so the portal can point at it. */
export class MappingError extends Error {
  constructor(
    readonly index: number,
    readonly to: string,
    message: string,
    /** Set by subclasses whose message already says where the problem is. */
    located = false,
  ) {
    // Counted from 1 as people count rows ("mapping 2" is the second); `index` stays the path's.
    super(located ? message : `mapping ${index + 1} ("${to}"): ${message}`);
  }
}

/**
 * A transform rule's expression that cannot reshape an event. It fails the event the way a broken
 * mapping does (final, error code PAYLOAD): retrying cannot help until the expression is fixed.
 */
export class ExpressionError extends MappingError {
  constructor(message: string) {
    super(-1, '', `transform expression: ${message}`, true);
  }
}

type Compiled = (input: unknown, budget?: Budget) => Promise<unknown>;
export type CompiledMappings = (input: unknown) => Promise<Record<string, unknown>>;

export function readPath(input: unknown, dotted: string): unknown {
  let cur = input;
  for (const key of dotted.replace(/\[(\d+)\]/g, '.$1').split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

function jsonataMessage(err: unknown): string {
  const e = err as { message?: string; code?: string; position?: number };
  const where = typeof e.position === 'number' && e.position > 0 ? ` at character ${e.position}` : '';
  return `${e.message ?? String(err)}${e.code ? ` (${e.code})` : ''}${where}`;
}

/** JSONata answers a sequence with an internal marker; receivers should get a plain array. */
function plain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plain);
  return value;
}

type Step = { to: string; run: Compiled; fallback: unknown; expression?: true };

/** A JSONata expression, bounded in time, memory and regex cost (bounded-jsonata.ts); throws `invalid expression: …` when it does not compile. */
export function compileExpression(source: string): Compiled {
  let run: Compiled;
  try {
    run = compileBounded(source);
  } catch (err) {
    throw new Error(`invalid expression: ${jsonataMessage(err)}`);
  }
  return async (input, budget) => plain(await run(input, budget));
}

/** The message of an expression's runtime failure (JSONata errors carry a code and a position). */
export const expressionFailure = (err: unknown) => `expression failed: ${jsonataMessage(err)}`;

/** Compiles entry `i` of a mapping list; a MappingError names that index. */
export function compileEntry(m: MappingEntryT, i: number): Step {
  if (m.from !== undefined) {
    const from = m.from;
    return { to: m.to, run: async (input) => readPath(input, from), fallback: m.default };
  }
  if (m.expression !== undefined) {
    let run: Compiled;
    try {
      run = compileExpression(m.expression);
    } catch (err) {
      throw new MappingError(i, m.to, (err as Error).message);
    }
    return {
      to: m.to,
      fallback: m.default,
      expression: true,
      run: async (input, budget) => {
        try {
          return await run(input, budget);
        } catch (err) {
          throw new MappingError(i, m.to, expressionFailure(err));
        }
      },
    };
  }
  const value = m.value;
  return { to: m.to, run: async () => value, fallback: undefined };
}

export function compileMappings(entries: MappingEntryT[]): CompiledMappings {
  const steps = entries.map(compileEntry);
  return async (input) => {
    const out: Record<string, unknown> = {};
    // One CPU budget for the whole list: 200 entries must not each get their own.
    const budget = steps.some((s) => s.expression) ? newBudget() : undefined;
    for (const step of steps) {
      const v = await step.run(input, budget);
      const chosen = v === undefined || (typeof v === 'number' && Number.isNaN(v)) ? step.fallback : v;
      if (chosen !== undefined) out[step.to] = chosen;
    }
    return out;
  };
}
