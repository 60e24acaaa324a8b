import { samplePaths } from '../ui/MappingEditor.tsx';
import type { CanvasNode } from './graph.ts';

/**
 * The one vocabulary of a flow's fields: `body.email` of an incoming request, `data.email` of a
 * published event, as the trigger's hint, the map step and the Test output name them. The filter
 * and dedupe steps offer these names; the server reads a bare `email` (saved before) as the same
 * field (server/hub/flow-graph.ts, stepField).
 */
export type SamplePrefix = 'data' | 'body';

/** Dot paths of the sample's fields without the prefix (`email`, `address.city`). */
export const dataFields = (sample: Record<string, unknown>): string[] => (Object.keys(sample).length ? samplePaths(sample).map((p) => p.replace(/^data\./, '')) : []);

/** The sample's fields as the steps name them: `body.email`, `data.address.city`. */
export const stepFieldNames = (sample: Record<string, unknown>, prefix: SamplePrefix = 'data'): string[] => dataFields(sample).map((f) => `${prefix}.${f}`);

/** A step's field as a path into the sample: the prefix goes, a bare name is already one. */
export const inSample = (field: string, prefix: SamplePrefix = 'data'): string => (field.startsWith(`${prefix}.`) ? field.slice(prefix.length + 1) : field);

/**
 * Whether a known sample lacks a field (neither it nor anything under it). With no sample (none
 * loaded, no request yet) nothing is said: the user may be typing fields ahead of the first one.
 */
export function lacksField(sample: Record<string, unknown>, prefix: SamplePrefix | undefined, field: string): boolean {
  const fields = dataFields(sample);
  if (!field || !fields.length) return false;
  const path = inSample(field, prefix);
  return !fields.includes(path) && !fields.some((f) => f.startsWith(`${path}.`));
}

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
    for (const field of new Set(fields)) if (lacksField(known.sample, known.prefix, field)) out.push({ nodeId: n.id, field });
  }
  return out;
}

/** Warnings by node id, for the canvas. */
export function warningsByNode(warnings: FieldWarning[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const w of warnings) out.set(w.nodeId, [...(out.get(w.nodeId) ?? []), w.field]);
  return out;
}
