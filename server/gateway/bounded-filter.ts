import { Context } from 'mingo';
import { Query } from 'mingo/query';
import * as expressionOps from 'mingo/operators/expression';
import * as queryOps from 'mingo/operators/query';
import { SafeRegExp } from '../core/safe-regex.ts';

/**
 * Filters are tenants' Mongo-style conditions, run by mingo at ingest on what anonymous senders
 * post, in the process that answers every team. mingo's full operator set is a language: with
 * `$range` one request allocates an array of any length (Node aborts), `$function`/`$where` run
 * JavaScript, `$reduce`/`$map` loop, and `$regex` backtracks. So a filter here is evaluated:
 *
 * - with an allow-list of operators (comparisons, logic, element and array tests, and in `$expr`
 *   arithmetic, comparison, conditional and a few string and type operators): anything else is
 *   refused when the filter is saved, naming the operator;
 * - with `$regex` matched by RE2 (linear time, bounded text: safe-regex.ts);
 * - within limits on its size and its lists (`$in` ≤ 1,000 values, `$all` ≤ 20);
 * - against a deadline: every operator call checks the clock, and an evaluation past
 *   BUDGET_MS throws FilterFailed. Evaluation is synchronous, so one deadline per process
 *   is enough: nothing else runs while a filter does.
 */
const FILTER_LIMITS = { maxJsonBytes: 16_384, maxDepth: 32, maxIn: 1000, maxAll: 20, budgetMs: 50 };

/** A filter that could not be evaluated (over its deadline, a regex over its text budget, a value too deep). */
export class FilterFailed extends Error {}

let deadline = Infinity;
function tick(): void {
  if (deadline !== Infinity && performance.now() > deadline) throw new FilterFailed(`the filter ran for more than ${FILTER_LIMITS.budgetMs} ms`);
}

const QUERY_ALLOWED = [
  '$eq',
  '$ne',
  '$gt',
  '$gte',
  '$lt',
  '$lte',
  '$in',
  '$nin',
  '$and',
  '$or',
  '$nor',
  '$not',
  '$exists',
  '$type',
  '$regex',
  '$mod',
  '$expr',
  '$all',
  '$elemMatch',
  '$size',
] as const;
const EXPRESSION_ALLOWED = [
  '$abs',
  '$add',
  '$ceil',
  '$divide',
  '$floor',
  '$mod',
  '$multiply',
  '$round',
  '$subtract',
  '$trunc',
  '$and',
  '$or',
  '$not',
  '$cmp',
  '$eq',
  '$ne',
  '$gt',
  '$gte',
  '$lt',
  '$lte',
  '$cond',
  '$ifNull',
  '$switch',
  '$toLower',
  '$toUpper',
  '$trim',
  '$ltrim',
  '$rtrim',
  '$strLenCP',
  '$strLenBytes',
  '$substrCP',
  '$indexOfCP',
  '$strcasecmp',
  '$type',
  '$toString',
  '$toInt',
  '$toLong',
  '$toDouble',
  '$toDecimal',
  '$toBool',
  '$isNumber',
  '$size',
  '$in',
  '$arrayElemAt',
  '$first',
  '$last',
  '$isArray',
  '$literal',
] as const;
/** Keys that look like operators but are arguments of one. */
const ARGUMENT_KEYS = new Set(['$options']);
const ALLOWED = new Set<string>([...QUERY_ALLOWED, ...EXPRESSION_ALLOWED, ...ARGUMENT_KEYS]);

// mingo's operator typings are a union too wide to name; these are the shapes it calls.
type Options = object;
type QueryOperator = (selector: string, value: unknown, options: Options) => (obj: unknown) => boolean;
type ExpressionOperator = (obj: unknown, expr: unknown, options: Options) => unknown;
const queryTable = queryOps as unknown as Record<string, QueryOperator>;
const expressionTable = expressionOps as unknown as Record<string, ExpressionOperator>;

function timedQuery(op: QueryOperator): QueryOperator {
  return (selector, value, options) => {
    const test = op(selector, value, options);
    return (obj) => {
      tick();
      return test(obj);
    };
  };
}

function timedExpression(op: ExpressionOperator): ExpressionOperator {
  return (obj, expr, options) => {
    tick();
    return op(obj, expr, options);
  };
}

const regexOp: QueryOperator = (selector, value, options) => {
  // mingo has already turned `{$regex, $options}` into a RegExp (compiled, never run); RE2 runs it.
  const re = new SafeRegExp(value as RegExp | string, undefined, tick);
  return queryTable.$regex(selector, re, options);
};

type ContextOps = NonNullable<Parameters<typeof Context.init>[0]>;
const CONTEXT = Context.init({
  query: Object.fromEntries(QUERY_ALLOWED.map((name) => [name, timedQuery(name === '$regex' ? regexOp : queryTable[name])])) as unknown as ContextOps['query'],
  expression: Object.fromEntries(EXPRESSION_ALLOWED.map((name) => [name, timedExpression(expressionTable[name])])) as unknown as ContextOps['expression'],
});

/** Refuses what the allow-list and limits do not take, with a message naming the place. */
function checkCriteria(value: unknown, path: string, depth: number): void {
  if (depth > FILTER_LIMITS.maxDepth) throw new Error(`nested deeper than ${FILTER_LIMITS.maxDepth} levels at ${path}`);
  if (Array.isArray(value)) {
    value.forEach((v, i) => checkCriteria(v, `${path}[${i}]`, depth + 1));
    return;
  }
  if (value === null || typeof value !== 'object') return;
  for (const [key, v] of Object.entries(value)) {
    const at = path ? `${path}.${key}` : key;
    if (key.startsWith('$')) {
      if (!ALLOWED.has(key)) throw new Error(`operator ${key} is not allowed in filters (at ${at})`);
      if ((key === '$in' || key === '$nin') && Array.isArray(v) && v.length > FILTER_LIMITS.maxIn)
        throw new Error(`${key} takes at most ${FILTER_LIMITS.maxIn} values (at ${at})`);
      if (key === '$all' && Array.isArray(v) && v.length > FILTER_LIMITS.maxAll)
        throw new Error(`$all takes at most ${FILTER_LIMITS.maxAll} values (at ${at})`);
      if (key === '$regex') {
        if (typeof v !== 'string') throw new Error(`$regex must be a string (at ${at})`);
        const options = (value as Record<string, unknown>).$options;
        new SafeRegExp(v, typeof options === 'string' ? options : '');
      }
    }
    checkCriteria(v, at, depth + 1);
  }
}

export type BoundedQuery = (doc: unknown) => boolean;

/** Compiles mingo criteria under the allow-list and limits; throws (with a message for the user) when they are refused. */
export function boundedQuery(criteria: Record<string, unknown>): BoundedQuery {
  const size = JSON.stringify(criteria).length;
  if (size > FILTER_LIMITS.maxJsonBytes)
    throw new Error(`a filter may be at most ${FILTER_LIMITS.maxJsonBytes.toLocaleString('en')} characters of JSON (this one: ${size.toLocaleString('en')})`);
  checkCriteria(criteria, '', 0);
  const query = new Query(criteria, { context: CONTEXT });
  return (doc) => {
    deadline = performance.now() + FILTER_LIMITS.budgetMs;
    try {
      return query.test(doc as Record<string, unknown>);
    } catch (err) {
      throw err instanceof FilterFailed ? err : new FilterFailed((err as Error).message);
    } finally {
      deadline = Infinity;
    }
  };
}
