import { samplePaths } from '../ui/MappingEditor.tsx';
import { stepField } from '../../../shared/flow-graph.ts';
import type { CanvasNode } from './graph.ts';

/**
 * The one vocabulary of a flow's fields: `body.email` of an incoming request, `data.email` of a
 * published event, as the trigger's hint, the map step and the Test output name them. The filter
 * and dedupe steps offer these names; the server reads a bare `email` (saved before) as the same
 * field (shared/flow-graph.ts, stepField).
 */
export type SamplePrefix = 'data' | 'body';

/** The sample's fields as the steps name them: `body.email`, `data.address.city`. */
export const stepFieldNames = (sample: Record<string, unknown>, prefix: SamplePrefix = 'data'): string[] => samplePaths(sample, prefix);

/** A step's field as a path into the sample, read as the server's rules read it: the prefix goes, a bare name is already one. */
export const inSample = (field: string, prefix: SamplePrefix = 'data'): string => stepField(field, prefix === 'body' ? null : 'data');

/**
 * The fields a known sample lacks (neither it nor anything under it), in the order given. With no
 * sample (none loaded, no request yet) none is said: the user may be typing fields ahead of the
 * first one.
 */
export function missingFields(sample: Record<string, unknown>, prefix: SamplePrefix | undefined, fields: string[]): string[] {
  const known = samplePaths(sample, '_').map((p) => p.slice(2));
  if (!known.length) return [];
  return fields.filter((field) => {
    if (!field) return false;
    const path = inSample(field, prefix);
    return !known.includes(path) && !known.some((f) => f.startsWith(`${path}.`));
  });
}

export const lacksField = (sample: Record<string, unknown>, prefix: SamplePrefix | undefined, field: string): boolean =>
  missingFields(sample, prefix, [field]).length > 0;

/** The fields a filter or dedupe node's data names; none for other kinds. */
export function fieldsOfStep(kind: string | undefined, data: Record<string, unknown>): string[] {
  const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x.trim() !== '') : []);
  if (kind === 'filter') return strings(Array.isArray(data.conditions) ? data.conditions.map((c) => (c as { field?: unknown } | null)?.field) : []);
  if (kind === 'dedupe') return [...strings(data.include_fields), ...strings(data.exclude_fields)];
  return [];
}

/** A field a step names that the sample its trigger gives does not have: said, never in the way of saving. */
export type FieldWarning = { nodeId: string; field: string };
export const warningText = (w: FieldWarning) => `the sample has no field ${w.field}`;

/** The toolbar's line: "1 warning: the sample has no field body.tpye", the first of several with how many more. */
export function warningSummary(warnings: FieldWarning[]): string {
  if (!warnings.length) return '';
  const more = warnings.length > 1 ? ` (and ${warnings.length - 1} more)` : '';
  return `${warnings.length} warning${warnings.length > 1 ? 's' : ''}: ${warningText(warnings[0])}${more}`;
}

/**
 * Every field of a filter or dedupe step that its trigger's sample lacks. `sampleOf` gives the
 * sample a trigger node feeds its steps (null when none is known yet).
 */
export function fieldWarnings(
  nodes: CanvasNode[],
  triggerOf: (nodeId: string) => CanvasNode | undefined,
  sampleOf: (trigger: CanvasNode) => { sample: Record<string, unknown>; prefix: SamplePrefix } | null,
): FieldWarning[] {
  const out: FieldWarning[] = [];
  for (const n of nodes) {
    const fields = fieldsOfStep(n.type, n.data);
    if (!fields.length) continue;
    const trigger = triggerOf(n.id);
    const known = trigger ? sampleOf(trigger) : null;
    if (!known) continue;
    for (const field of missingFields(known.sample, known.prefix, [...new Set(fields)])) out.push({ nodeId: n.id, field });
  }
  return out;
}

/** Warnings by node id, for the canvas. */
export function warningsByNode(warnings: FieldWarning[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const w of warnings) out.set(w.nodeId, [...(out.get(w.nodeId) ?? []), w.field]);
  return out;
}
