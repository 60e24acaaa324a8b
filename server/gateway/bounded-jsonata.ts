import jsonata from 'jsonata';
import { SafeRegExp } from '../core/safe-regex.ts';

/**
 * JSONata expressions are tenants' code (mappings, transform rules, previews, flow tests) run on
 * what senders post, in the API and delivery process. JSONata has no memory limit and its own
 * timeout is wall-clock, checked only between steps. Left alone, `$pad("", 140000000)` aborts
 * Node ("invalid size error"), regex literals backtrack for hours, and a tight loop holds the
 * event loop for its whole timeout while every other team waits. So each evaluation here:
 *
 * - matches regexes with RE2 (linear time, bounded text: see safe-regex.ts);
 * - replaces the built-ins whose output can be far larger than their input ($pad, $join,
 *   $string, date/number pictures) with versions that check the size first, and $distinct
 *   (quadratic in JSONata) with a linear one;
 * - checks every step's result: no string over MAX_STRING characters, no array over MAX_ITEMS;
 * - counts its own CPU time, step by step, and fails past CPU_BUDGET_MS; every SLICE_MS it yields
 *   to the event loop, so other requests are served between slices of a long evaluation.
 *
 * A step can still grow a value once (concatenating two strings of MAX_STRING) before the check
 * sees it: the bounds are per step, which keeps every allocation within a few MAX_STRINGs.
 */
const LIMITS = {
  maxString: 1_000_000,
  maxItems: 100_000,
  cpuBudgetMs: 100,
  sliceMs: 10,
  stack: 200,
  /** Widths in date and number pictures ([Y,1000000] pads a year to a million digits). */
  maxPictureWidth: 100,
  /** $toMillis and $parseInteger match their text with a regex built from the picture. */
  maxParsedText: 200,
};

class ExpressionLimit extends Error {
  readonly code = 'LIMIT';
}

const limit = (message: string): never => {
  throw new ExpressionLimit(message);
};

/** CPU time spent by one evaluation, or shared by several (every expression of a mapping list). */
export type Budget = { spent: number; sliceStart: number; steps: number };
export const newBudget = (): Budget => ({ spent: 0, sliceStart: performance.now(), steps: 0 });
// Bound on the evaluation's base frame, which no binding in the expression can shadow.
const BUDGET = '__wirehub_budget';
const EXIT = Symbol.for('jsonata.__evaluate_exit');
/** Every frame of one evaluation shares its `base`, the frame `evaluate`'s bindings are bound in. */
type Env = { base: { lookup(name: string): unknown } };
const budgets = new WeakMap<Env['base'], Budget>();

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Runs after every step (JSONata awaits it, so it is also where a long evaluation yields): checks
 * the step's result size, and every 32 steps the evaluation's CPU time.
 */
function onExit(_expr: unknown, _input: unknown, env: Env, result: unknown): Promise<void> | undefined {
  if (typeof result === 'string') {
    if (result.length > LIMITS.maxString) limit(`a string grew past ${LIMITS.maxString.toLocaleString('en')} characters`);
  } else if (Array.isArray(result) && result.length > LIMITS.maxItems) {
    limit(`an array grew past ${LIMITS.maxItems.toLocaleString('en')} items`);
  }
  let meter = budgets.get(env.base);
  if (!meter) budgets.set(env.base, (meter = (env.base.lookup(BUDGET) as Budget | undefined) ?? newBudget()));
  if (++meter.steps % 32 !== 0) return undefined;
  const now = performance.now();
  const slice = now - meter.sliceStart;
  if (meter.spent + slice > LIMITS.cpuBudgetMs) limit(`it ran for more than ${LIMITS.cpuBudgetMs} ms of CPU`);
  if (slice < LIMITS.sliceMs) return undefined;
  meter.spent += slice;
  const m = meter;
  return yieldToLoop().then(() => {
    m.sliceStart = performance.now();
  });
}

/** Approximate JSON size of a value, walking no further than `max` characters' worth. */
function sizeWithin(value: unknown, max: number): number {
  let size = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === 'string') size += v.length + 2;
    else if (Array.isArray(v)) {
      size += 2 + v.length;
      for (const item of v) stack.push(item);
    } else if (v !== null && typeof v === 'object') {
      for (const [k, item] of Object.entries(v)) {
        size += k.length + 4;
        stack.push(item);
      }
    } else size += 8;
    if (size > max) return size;
  }
  return size;
}

function checkPicture(picture: unknown): void {
  if (typeof picture !== 'string') return;
  for (const n of picture.match(/\d+/g) ?? []) {
    if (n.length > 3 || Number(n) > LIMITS.maxPictureWidth) limit(`picture widths above ${LIMITS.maxPictureWidth} are not allowed`);
  }
}

type Builtin = { implementation: (...args: unknown[]) => unknown };
type Guarded = { name: string; signature: string; wrap: (original: Builtin['implementation']) => (...args: unknown[]) => unknown };

const GUARDED: Guarded[] = [
  {
    name: 'pad',
    signature: '<s-ns?:s>',
    wrap: (original) =>
      function (this: unknown, ...args) {
        if (typeof args[1] === 'number' && Math.abs(args[1]) > LIMITS.maxString) limit(`$pad width over ${LIMITS.maxString.toLocaleString('en')}`);
        return original.apply(this, args);
      },
  },
  {
    name: 'join',
    signature: '<a<s>s?:s>',
    wrap: (original) =>
      function (this: unknown, ...args) {
        const [strs, sep] = args as [unknown, unknown];
        if (Array.isArray(strs)) {
          const glue = typeof sep === 'string' ? sep.length : 0;
          let total = 0;
          for (const s of strs) {
            total += (typeof s === 'string' ? s.length : 0) + glue;
            if (total > LIMITS.maxString) limit(`$join would make a string over ${LIMITS.maxString.toLocaleString('en')} characters`);
          }
        }
        return original.apply(this, args);
      },
  },
  {
    name: 'string',
    signature: '<x-b?:s>',
    wrap: (original) =>
      function (this: unknown, ...args) {
        // Pretty printing at most triples the size; a value referenced many times counts each time.
        if (sizeWithin(args[0], LIMITS.maxString / 3) > LIMITS.maxString / 3)
          limit(`$string would make a string over ${LIMITS.maxString.toLocaleString('en')} characters`);
        return original.apply(this, args);
      },
  },
  {
    name: 'distinct',
    signature: '<x:x>',
    wrap: (original) =>
      function (this: unknown, ...args) {
        const [arr] = args;
        // JSONata compares every pair (deep equality): 100,000 items are five billion comparisons.
        if (!Array.isArray(arr) || arr.length <= 100) return original.apply(this, args);
        const seen = new Set<unknown>();
        const out: unknown[] = [];
        for (const item of arr) {
          const key = item !== null && typeof item === 'object' ? `o:${canonical(item)}` : item;
          if (seen.has(key)) continue;
          seen.add(key);
          out.push(item);
        }
        return Object.assign(out, { sequence: (arr as { sequence?: boolean }).sequence });
      },
  },
  ...(['formatNumber', 'formatInteger'] as const).map((name) => ({
    name,
    signature: name === 'formatNumber' ? '<n-so?:s>' : '<n-s:s>',
    wrap: (original: Builtin['implementation']) =>
      function (this: unknown, ...args: unknown[]) {
        checkPicture(args[1]);
        return original.apply(this, args);
      },
  })),
  {
    name: 'fromMillis',
    signature: '<n-s?s?:s>',
    wrap: (original) =>
      function (this: unknown, ...args) {
        checkPicture(args[1]);
        return original.apply(this, args);
      },
  },
  ...(['toMillis', 'parseInteger'] as const).map((name) => ({
    name,
    signature: name === 'toMillis' ? '<s-s?:n>' : '<s-s:n>',
    wrap: (original: Builtin['implementation']) =>
      function (this: unknown, ...args: unknown[]) {
        if (typeof args[0] === 'string' && args[0].length > LIMITS.maxParsedText) limit(`$${name} reads at most ${LIMITS.maxParsedText} characters`);
        checkPicture(args[1]);
        return original.apply(this, args);
      },
  })),
];

/** Object keys sorted, so that equal objects written in another key order are one. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

// JSONata exposes its built-ins only by evaluating them; each is wrapped once, for every expression.
const guarded: { name: string; signature: string; implementation: Builtin['implementation'] }[] = [];
for (const g of GUARDED) {
  const original = ((await jsonata(`$${g.name}`).evaluate({})) as Builtin).implementation;
  guarded.push({ name: g.name, signature: g.signature, implementation: g.wrap(original) });
}

const OPTIONS = { stack: LIMITS.stack, sequence: LIMITS.maxItems, RegexEngine: SafeRegExp as unknown as RegExpConstructor };

/** Compiles an expression under the bounds above; a syntax error throws as JSONata reports it. */
export function compileBounded(source: string): (input: unknown, budget?: Budget) => Promise<unknown> {
  const expr = jsonata(source, OPTIONS);
  for (const g of guarded) expr.registerFunction(g.name, g.implementation, g.signature);
  expr.assign(EXIT as unknown as string, onExit);
  return (input, budget) => {
    if (!budget) return expr.evaluate(input);
    // Time between two evaluations sharing a budget is not theirs.
    budget.sliceStart = performance.now();
    return expr.evaluate(input, { [BUDGET]: budget }).finally(() => {
      // The slice in progress when the evaluation ended counts too.
      budget.spent += performance.now() - budget.sliceStart;
    });
  };
}
