import { createHash } from 'node:crypto';
import { readPath } from './mappings.ts';
import { isPlainObject, type DeduplicateRuleT, type RequestView } from './rules.ts';

/** A deduplicate rule as routing uses it: the window and what makes two requests "the same". */
export type DedupeSpec = { windowMs: number; keyOf: (view: RequestView) => string };

/** JSON with object keys sorted, so that `{a, b}` and `{b, a}` are the same body. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonical(v))).join(',')}]`;
  if (isPlainObject(value)) {
    const keys = Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** `value` without the field at `segments`, copying only the objects along that path. */
function without(value: unknown, segments: string[]): unknown {
  if (segments.length === 0) return undefined;
  const [head, ...rest] = segments;
  if (Array.isArray(value) && /^\d+$/.test(head)) {
    const i = Number(head);
    if (i >= value.length) return value;
    const copy = value.slice();
    copy[i] = without(value[i], rest);
    return copy;
  }
  if (!isPlainObject(value) || !(head in value)) return value;
  const copy = { ...value };
  if (rest.length === 0) delete copy[head];
  else copy[head] = without(value[head], rest);
  return copy;
}

const segmentsOf = (dotted: string) => dotted.replace(/\[(\d+)\]/g, '.$1').split('.');

export function dedupeSpec(rule: Omit<DeduplicateRuleT, 'type'>): DedupeSpec {
  const include = rule.include_fields;
  // Excluded fields are paths into the request; only those under `body` can change the body.
  const exclude = (rule.exclude_fields ?? [])
    .map(segmentsOf)
    .filter((s) => s[0] === 'body')
    .map((s) => s.slice(1));
  const material = include
    ? (view: RequestView) => include.map((f) => readPath(view, f))
    : (view: RequestView) => exclude.reduce<unknown>((body, path) => without(body, path), view.body);
  return {
    windowMs: rule.window,
    keyOf: (view) =>
      createHash('sha256')
        .update(canonical(material(view)))
        .digest('base64url'),
  };
}
