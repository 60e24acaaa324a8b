import { z } from 'zod';
import { CONNECTOR_NODE_KINDS, CONNECTOR_NODES, connectorNode, type ConnectorNodeKind } from '../connectors/catalogue.ts';
import type { ConnectorNode } from '../connectors/node.ts';
import { EnvelopeKind, envelopeConflicts } from './envelope.ts';
import { ENVELOPE_FIELDS } from './flow-fields.ts';
import { stepWords, type GraphLike } from './flow-problem-text.ts';

/**
 * The flow graph the portal draws: triggers → steps → destinations. Shared by the editor (checked
 * before saving) and the server (checked again on write). Zod only: Vite bundles this file. The
 * destination nodes are the connectors' (connectors/catalogue.ts) and `destination`, an existing
 * destination of any kind.
 */
export const STEP_KINDS = ['filter', 'transform', 'map', 'delay', 'dedupe'] as const;
export const DESTINATION_KINDS = [...CONNECTOR_NODE_KINDS, 'destination'] as const;
export const NODE_KINDS = ['trigger', ...STEP_KINDS, ...DESTINATION_KINDS] as const;
export type NodeKind = (typeof NODE_KINDS)[number];
export type StepKind = (typeof STEP_KINDS)[number];
export type DestinationKind = (typeof DESTINATION_KINDS)[number];
export type { ConnectorNodeKind };
export const isDestinationKind = (k: unknown): k is DestinationKind => (DESTINATION_KINDS as readonly unknown[]).includes(k);
export const isStepKind = (k: unknown): k is StepKind => (STEP_KINDS as readonly unknown[]).includes(k);

const nodeId = z.string().regex(/^[A-Za-z0-9_-]{1,40}$/, 'use 1-40 letters, digits, _ or -');
const position = z.object({ x: z.number(), y: z.number() });

/** Published events of one type (through the workspace's application source). */
export const EventTriggerData = z.object({ eventType: z.string().min(1, 'choose an event type').max(100) }).strict();
/** Every request sent to one inbound source's ingest URL (`/e/<source id>`). */
export const SourceTriggerData = z.object({ sourceId: z.string().min(1, 'choose a source').max(64) }).strict();
/** A trigger starts from an event type or from an inbound source: exactly one of the two. */
export const TriggerData = z.union([EventTriggerData, SourceTriggerData], {
  error: (iss) => {
    const given = typeof iss.input === 'object' && iss.input !== null ? iss.input : {};
    return 'eventType' in given && 'sourceId' in given
      ? 'a trigger starts from an event type or from a source, not both'
      : 'choose an event type (eventType) or an inbound source (sourceId)';
  },
});
export type TriggerDataT = z.output<typeof TriggerData>;
/** The source a trigger's requests come from, or null for an event-type trigger. */
export const sourceOf = (d: TriggerDataT): string | null => ('sourceId' in d ? d.sourceId : null);
/** The event type a trigger subscribes to, or null for a source trigger. */
export const eventTypeOf = (d: TriggerDataT): string | null => ('eventType' in d ? d.eventType : null);

export const CONDITION_OPS = ['eq', 'neq', 'contains', 'exists', 'gt', 'lt'] as const;
/** A step's field is named as the map step and the Test output name it (stepField reads it). */
const FIELD_HINT = 'name a field, such as data.email (or body.email after an incoming webhook)';
const scalar = z.union([z.string().max(1000), z.number(), z.boolean(), z.null()]);
export const Condition = z
  .object({
    field: z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, FIELD_HINT),
    op: z.enum(CONDITION_OPS),
    value: scalar.optional(),
  })
  .strict();
export type ConditionT = z.output<typeof Condition>;
export const FilterData = z
  .object({ conditions: z.array(Condition).min(1, 'add at least one condition').max(50), mode: z.enum(['all', 'any']).default('all') })
  .strict();
export type FilterDataT = z.output<typeof FilterData>;

/** The shape of a mapping entry (server/gateway/mappings.ts); the server also compiles expressions on save. */
const MappingShape = z
  .object({
    to: z.string().min(1, 'name the field to send').max(200),
    from: z.string().max(500).optional(),
    expression: z.string().max(4000).optional(),
    value: z.unknown().optional(),
    default: z.unknown().optional(),
  })
  .strict()
  .superRefine((m, ctx) => {
    const given = (['from', 'expression', 'value'] as const).filter((k) => m[k] !== undefined && m[k] !== '');
    if (given.length !== 1) ctx.addIssue({ code: 'custom', message: 'give exactly one of from, expression or value' });
  });
export const MapData = z.object({ mappings: z.array(MappingShape).max(200), envelope: EnvelopeKind.default('flat') }).strict();
export type MapDataT = z.output<typeof MapData>;

/** A field of the event's data (`data.email`) or of a request's body (`body.email`), as a dot path; see stepField. */
const fieldPath = z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, FIELD_HINT);

/** A JSONata expression over the event whose result (an object) replaces the event's data for the steps after it. */
export const TransformData = z.object({ expression: z.string().trim().min(1, 'write a JSONata expression').max(4000) }).strict();
export type TransformDataT = z.output<typeof TransformData>;

/** Holds each event before delivery (the connection's delay rule, seed 002: 0–86,400,000 ms). */
export const DelayData = z.object({ delay_ms: z.number().int().min(0).max(86_400_000, 'at most 24 hours') }).strict();
export type DelayDataT = z.output<typeof DelayData>;

/**
 * Drops an event equal to one seen within the window (the deduplicate rule, seed 002: 1,000–3,600,000
 * ms). Fields are of the event's data (`data.email`) or of a request's body (`body.email`), bare
 * names alike; none listed compares the whole data (or body). Include or exclude, not both.
 */
export const DedupeData = z
  .object({
    window_ms: z.number().int().min(1000, 'at least 1 second').max(3_600_000, 'at most 1 hour'),
    include_fields: z.array(fieldPath).max(50).optional(),
    exclude_fields: z.array(fieldPath).max(50).optional(),
  })
  .strict()
  .refine((d) => !(d.include_fields?.length && d.exclude_fields?.length), {
    message: 'compare some fields or ignore some fields, not both',
    path: ['exclude_fields'],
  });
export type DedupeDataT = z.output<typeof DedupeData>;

/** Sends to a destination that already exists (any kind); saving adds a connection to it, deleting removes only that. */
export const ExistingDestinationData = z
  .object({ destinationId: z.string().min(1, 'choose a destination').max(64), connectionId: z.string().optional() })
  .strict();
export type ExistingDestinationDataT = z.output<typeof ExistingDestinationData>;

/** Each connector's node data, by kind. */
const CONNECTOR_DATA = Object.fromEntries(CONNECTOR_NODES.map((n) => [n.kind, n.data as z.ZodType])) as Record<ConnectorNodeKind, z.ZodType>;

const DATA = {
  trigger: TriggerData,
  filter: FilterData,
  transform: TransformData,
  map: MapData,
  delay: DelayData,
  dedupe: DedupeData,
  ...CONNECTOR_DATA,
  destination: ExistingDestinationData,
};

const base = { id: nodeId, position };
/** The nodes the hub draws itself: triggers, steps, and an existing destination. */
const BuiltInNode = z.discriminatedUnion('kind', [
  z.object({ ...base, kind: z.literal('trigger'), data: TriggerData }),
  z.object({ ...base, kind: z.literal('filter'), data: FilterData }),
  z.object({ ...base, kind: z.literal('transform'), data: TransformData }),
  z.object({ ...base, kind: z.literal('map'), data: MapData }),
  z.object({ ...base, kind: z.literal('delay'), data: DelayData }),
  z.object({ ...base, kind: z.literal('dedupe'), data: DedupeData }),
  z.object({ ...base, kind: z.literal('destination'), data: ExistingDestinationData }),
]);
/** A connector's node, typed by its own data schema. */
type ConnectorFlowNode<S = (typeof CONNECTOR_NODES)[number]> =
  S extends ConnectorNode<infer K, infer D> ? { id: string; position: { x: number; y: number }; kind: K; data: z.output<D> } : never;
export type FlowNodeT = z.output<typeof BuiltInNode> | ConnectorFlowNode;
export const FlowNode = z.discriminatedUnion('kind', [
  ...BuiltInNode.options,
  ...CONNECTOR_NODES.map((n) => z.object({ ...base, kind: z.literal(n.kind), data: n.data as z.ZodType })),
]) as unknown as z.ZodType<FlowNodeT>;
export const FlowEdge = z.object({ id: z.string().min(1).max(100), source: z.string(), target: z.string() });
export type FlowEdgeT = z.output<typeof FlowEdge>;
export const FlowGraph = z.object({ nodes: z.array(FlowNode).max(200), edges: z.array(FlowEdge).max(500) });
export type FlowGraphT = z.output<typeof FlowGraph>;

const KIND_NAMES: Record<StepKind, string> = { filter: 'filter', transform: 'transform', map: 'map', delay: 'delay', dedupe: 'deduplicate' };

/**
 * One thing wrong with a graph: `path` starts with `nodes.<id>` or `edges.<id>`. `unconnected`
 * marks a node that only lacks its connections, which the editor shows softly until a save attempt.
 */
export type GraphProblem = { path: string; message: string; nodeId?: string; edgeId?: string; unconnected?: true };

/** What one destination node turns into: the events feeding it, the filters and the mapping on the way. */
export type DestinationNodeT = Extract<FlowNodeT, { kind: DestinationKind }>;
export type DestinationPlan = {
  node: DestinationNodeT;
  /** The event types feeding it; empty when a source trigger feeds it. */
  events: string[];
  /** The inbound source whose requests feed it (a source trigger), else null. */
  source: string | null;
  /** The trigger nodes feeding it, to name them in errors. */
  triggers: string[];
  filters: FilterDataT[];
  /** The filter steps' node ids, index for index with `filters`: each writes a rule named after it. */
  filterIds: string[];
  transform: TransformDataT | null;
  map: MapDataT | null;
  mapNodeId: string | null;
  delay: DelayDataT | null;
  dedupe: DedupeDataT | null;
  dedupeId: string | null;
};

const LooseGraph = z.object({
  nodes: z.array(z.object({ id: z.unknown(), kind: z.unknown(), position: z.unknown(), data: z.unknown() }).loose()).max(200),
  edges: z.array(z.object({ id: z.unknown(), source: z.unknown(), target: z.unknown() }).loose()).max(500),
});

/**
 * Every problem of a graph, each naming its node or edge: unknown kinds, bad data, dangling edges,
 * cycles, triggers that reach no destination, destinations with no trigger upstream, steps that
 * lead nowhere, and paths with more than one map step. An empty list means `FlowGraph` parses.
 */
export function validateGraph(raw: unknown): GraphProblem[] {
  const loose = LooseGraph.safeParse(raw);
  if (!loose.success) return loose.error.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message }));
  const problems: GraphProblem[] = [];
  const nodeAt = (id: string, message: string, sub: (string | number)[] = [], unconnected = false) =>
    problems.push({ path: ['nodes', id, ...sub].join('.'), message, nodeId: id, ...(unconnected ? { unconnected: true as const } : {}) });
  const edgeAt = (id: string, message: string) => problems.push({ path: `edges.${id}`, message, edgeId: id });

  const nodes = new Map<string, FlowNodeT>();
  // Structure is checked on every node of a known kind, even one whose data is wrong.
  const kinds = new Map<string, NodeKind>();
  loose.data.nodes.forEach((n, i) => {
    const id = typeof n.id === 'string' ? n.id : `#${i}`;
    if (!nodeId.safeParse(n.id).success) return nodeAt(id, 'a node id must be 1-40 letters, digits, _ or -');
    if (nodes.has(id)) return nodeAt(id, `node id "${id}" is used twice`);
    if (typeof n.kind !== 'string' || !(NODE_KINDS as readonly string[]).includes(n.kind)) {
      return nodeAt(id, `unknown node kind "${String(n.kind)}"; use ${NODE_KINDS.join(', ')}`, ['kind']);
    }
    kinds.set(id, n.kind as NodeKind);
    const parsed = FlowNode.safeParse(n);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) nodeAt(id, issue.message, issue.path.map(String));
      return;
    }
    nodes.set(id, parsed.data);
    if (parsed.data.kind === 'map') {
      const d = parsed.data.data;
      d.mappings.forEach((m, j) => {
        if (envelopeConflicts(d.envelope, [m.to]).length)
          nodeAt(id, `"${m.to}" belongs to the ${d.envelope} envelope and cannot be mapped`, ['data', 'mappings', j, 'to']);
      });
      const seen = new Set<string>();
      d.mappings.forEach((m, j) => {
        if (seen.has(m.to)) nodeAt(id, `"${m.to}" is mapped twice`, ['data', 'mappings', j, 'to']);
        seen.add(m.to);
      });
    }
  });
  const known = new Set(loose.data.nodes.map((n, i) => (typeof n.id === 'string' ? n.id : `#${i}`)));

  const out = new Map<string, string[]>();
  const into = new Map<string, string[]>();
  const edgeIds = new Set<string>();
  for (const e of loose.data.edges) {
    const parsed = FlowEdge.safeParse(e);
    const id = typeof e.id === 'string' ? e.id : '?';
    if (!parsed.success) {
      edgeAt(id, 'an edge needs an id, a source and a target');
      continue;
    }
    const { source, target } = parsed.data;
    if (edgeIds.has(id)) edgeAt(id, `edge id "${id}" is used twice`);
    edgeIds.add(id);
    if (!known.has(source) || !known.has(target)) {
      edgeAt(id, `connects a node that does not exist (${!known.has(source) ? source : target})`);
      continue;
    }
    if (source === target) {
      edgeAt(id, 'connects a node to itself');
      continue;
    }
    const s = kinds.get(source);
    const t = kinds.get(target);
    if (t === 'trigger') edgeAt(id, 'a trigger starts a flow: nothing can lead into it');
    if (isDestinationKind(s)) edgeAt(id, 'a destination ends a flow: nothing can follow it');
    if (!s || !t || t === 'trigger' || isDestinationKind(s)) continue;
    out.set(source, [...(out.get(source) ?? []), target]);
    into.set(target, [...(into.get(target) ?? []), source]);
  }

  // Cycles: a depth-first search that reports every node on a back edge's loop.
  const state = new Map<string, 1 | 2>();
  const stack: string[] = [];
  const inCycle = new Set<string>();
  const visit = (id: string) => {
    state.set(id, 1);
    stack.push(id);
    for (const next of out.get(id) ?? []) {
      if (state.get(next) === 1) for (const c of stack.slice(stack.indexOf(next))) inCycle.add(c);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(id, 2);
  };
  for (const id of kinds.keys()) if (!state.has(id)) visit(id);
  for (const id of inCycle) nodeAt(id, 'is part of a cycle: a flow must run one way, from triggers to destinations');
  if (inCycle.size) return problems;

  const reach = (from: string, next: Map<string, string[]>) => {
    const seen = new Set<string>();
    const todo = [from];
    while (todo.length) for (const n of next.get(todo.pop() as string) ?? []) if (!seen.has(n)) todo.push(n), seen.add(n);
    return seen;
  };
  for (const [id, kind] of kinds) {
    const down = [...reach(id, out)].map((d) => kinds.get(d));
    const up = [...reach(id, into)].map((u) => kinds.get(u));
    if (kind === 'trigger' && !down.some(isDestinationKind)) nodeAt(id, 'this trigger leads to no destination: connect it to one', [], true);
    if (isDestinationKind(kind) && !up.includes('trigger')) nodeAt(id, 'no trigger leads to this destination: connect one', [], true);
    if (isStepKind(kind) && (!up.includes('trigger') || !down.some(isDestinationKind))) {
      nodeAt(id, 'this step must sit between a trigger and a destination', [], true);
    }
  }

  // Walk every path (the graph is acyclic and small): each step kind but filter once per path, and
  // filters before the steps that change the data, which runs before the mapping.
  const reported = new Set<string>();
  const named = (id: string) => stepWords(id, loose.data);
  const report = (id: string, message: string) => {
    if (reported.has(id)) return;
    reported.add(id);
    nodeAt(id, message);
  };
  const walk = (id: string, before: string[]) => {
    const kind = kinds.get(id);
    if (kind && isStepKind(kind)) {
      const earlier = before.filter((b) => kinds.get(b) === kind);
      if (kind !== 'filter' && earlier.length) report(id, `a path may have one ${KIND_NAMES[kind]} step; this one follows ${earlier.map(named).join(', ')}`);
      const changers = before.filter((b) => kinds.get(b) === 'transform' || kinds.get(b) === 'map');
      if (kind === 'filter' && changers.length) report(id, `put filters before ${changers.map(named).join(', ')}: a filter checks the event as it arrived`);
      const step = nodes.get(id);
      const trigger = nodes.get(before[0]);
      if (step?.kind === 'filter' && trigger?.kind === 'trigger' && sourceOf(trigger.data)) {
        const outside = step.data.conditions.findIndex((c) => !inRequestBody(c.field));
        if (outside >= 0 && !reported.has(id)) {
          reported.add(id);
          const field = step.data.conditions[outside].field;
          nodeAt(
            id,
            `condition ${outside + 1} reads “${field}”, but a filter on an incoming webhook reads only the request's body (such as body.type), not its headers, query or path`,
            ['data', 'conditions', outside, 'field'],
          );
        }
      }
      if (step?.kind === 'dedupe' && trigger?.kind === 'trigger' && sourceOf(trigger.data)) {
        const outside = [...(step.data.include_fields ?? []), ...(step.data.exclude_fields ?? [])].find((f) => !inRequestBody(f));
        if (outside !== undefined) {
          report(
            id,
            `it compares “${outside}”, but a deduplicate step on an incoming webhook compares only fields of the request's body (such as body.email), not its headers, query or path`,
          );
        }
      }
      if (kind === 'transform' && before.some((b) => kinds.get(b) === 'map'))
        report(id, 'put the transform before the map step: the map reads what the transform made');
    }
    for (const next of out.get(id) ?? []) walk(next, [...before, id]);
  };
  for (const [id, kind] of kinds) if (kind === 'trigger') walk(id, []);
  if (problems.length) return problems;

  for (const plan of planOf(nodes, into)) {
    if (plan.conflict) nodeAt(plan.node.id, plan.conflict);
    else for (const p of unmappedFields(plan, loose.data)) nodeAt(plan.node.id, p.message, p.sub);
  }
  return problems;
}

/**
 * Fields a destination needs that its map step leaves empty (a sheet's columns, HubSpot's email:
 * each connector's node says which). Without a map step, or with one that maps nothing, the
 * event's data goes as it is and its own fields fill them by name: that depends on each event, so
 * the test run reports it instead.
 */
function unmappedFields(plan: DestinationPlan, graph: GraphLike): { message: string; sub: (string | number)[] }[] {
  if (!plan.map?.mappings.length) return [];
  const spec = connectorNode(plan.node.kind);
  if (!spec?.unmapped) return [];
  const mapped = new Set(plan.map.mappings.map((m) => m.to));
  const where = plan.mapNodeId ? stepWords(plan.mapNodeId, graph) : 'the map step';
  // A source's requests go without the envelope: every field needs its mapping.
  const envelope = new Set(plan.source ? [] : ENVELOPE_FIELDS[plan.map.envelope]);
  return spec.unmapped(plan.node.data, mapped, envelope, where);
}

function planOf(nodes: Map<string, FlowNodeT>, into: Map<string, string[]>): (DestinationPlan & { conflict?: string })[] {
  const plans: (DestinationPlan & { conflict?: string })[] = [];
  for (const dest of nodes.values()) {
    if (!isDestinationKind(dest.kind)) continue;
    // Every path from a trigger into this destination, as the steps it passes.
    const paths: { trigger: string; data: TriggerDataT; steps: string[] }[] = [];
    const back = (id: string, steps: string[]) => {
      const n = nodes.get(id);
      if (n?.kind === 'trigger') return void paths.push({ trigger: n.id, data: n.data, steps });
      for (const prev of into.get(id) ?? []) back(prev, n && isStepKind(n.kind) ? [id, ...steps] : steps);
    };
    back(dest.id, []);
    const key = (steps: string[]) => [...steps].sort().join(',');
    const first = paths[0]?.steps ?? [];
    const events = [...new Set(paths.flatMap((p) => eventTypeOf(p.data) ?? []))];
    const sources = [...new Set(paths.flatMap((p) => sourceOf(p.data) ?? []))];
    // One connection carries one source's requests: published events come through another source.
    const conflict =
      sources.length && events.length
        ? "a destination receives published events or one source's requests, not both: add a second destination"
        : sources.length > 1
          ? 'a destination receives the requests of one source: add a second destination for the other source'
          : paths.some((p) => key(p.steps) !== key(first))
            ? 'the paths into this destination pass different steps; one destination gets one set of filters and one mapping — add a second destination'
            : undefined;
    const steps = first.map((id) => nodes.get(id) as FlowNodeT);
    const mapNode = steps.find((s) => s.kind === 'map');
    const stepData = (kind: StepKind): unknown => steps.find((s) => s.kind === kind)?.data ?? null;
    plans.push({
      node: dest as DestinationNodeT,
      events,
      source: sources[0] ?? null,
      triggers: [...new Set(paths.map((p) => p.trigger))],
      filters: steps.flatMap((s) => (s.kind === 'filter' ? [s.data] : [])),
      filterIds: steps.flatMap((s) => (s.kind === 'filter' ? [s.id] : [])),
      transform: stepData('transform') as TransformDataT | null,
      map: mapNode?.kind === 'map' ? mapNode.data : null,
      mapNodeId: mapNode?.id ?? null,
      delay: stepData('delay') as DelayDataT | null,
      dedupe: stepData('dedupe') as DedupeDataT | null,
      dedupeId: steps.find((s) => s.kind === 'dedupe')?.id ?? null,
      ...(conflict ? { conflict } : {}),
    });
  }
  return plans;
}

/** What each destination of a valid graph becomes (call `validateGraph` first). */
export function planDestinations(graph: FlowGraphT): DestinationPlan[] {
  const nodes = new Map(graph.nodes.map((n) => [n.id, n]));
  const into = new Map<string, string[]>();
  for (const e of graph.edges) into.set(e.target, [...(into.get(e.target) ?? []), e.source]);
  return planOf(nodes, into).map(({ conflict: _c, ...p }) => p);
}

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const numeric = (v: unknown) => (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v)) ? Number(v) : v);

/**
 * A filter or dedupe step's field as its rule reads it: relative to an incoming request's body
 * (`under: null`) or to a published event's data (`under: 'data'`). The steps name fields as the
 * trigger's hint, the field pickers, the map step and the Test output show them (`body.type` of a
 * request, `data.email` of an event), so that prefix goes; a bare `type` (flows saved before) means
 * the same field. Named with the prefix, a condition used to look for a field `body` (or `data`)
 * inside the body (or data) and silently dropped everything; a dedupe step compared a field every
 * request lacked and dropped every request after the first as a duplicate.
 */
export function stepField(field: string, under: 'data' | null): string {
  const prefix = under === null ? 'body.' : 'data.';
  return field.startsWith(prefix) ? field.slice(prefix.length) : field;
}
/** The steps after an incoming webhook read its body: headers, query and path are the request's other parts. */
const inRequestBody = (field: string) => !/^(headers|query)(\.|$)|^path$/.test(field);

function conditionSpec(c: ConditionT): unknown {
  switch (c.op) {
    case 'eq':
      return typeof numeric(c.value) === 'number' && typeof c.value === 'string' ? { $in: [c.value, numeric(c.value)] } : { $eq: c.value ?? null };
    case 'neq':
      return typeof numeric(c.value) === 'number' && typeof c.value === 'string' ? { $nin: [c.value, numeric(c.value)] } : { $ne: c.value ?? null };
    case 'contains':
      return { $regex: escapeRegex(String(c.value ?? '')), $options: 'i' };
    case 'exists':
      return { $exists: c.value !== false };
    case 'gt':
      return { $gt: numeric(c.value) };
    case 'lt':
      return { $lt: numeric(c.value) };
  }
}

/**
 * Filter steps as one condition on the request body (`body` of a filter rule): each step is an
 * all/any group over `data.<field>` of a published event (`under: 'data'`), or over the fields of
 * an inbound request's body (`under: null`); every step on the path must pass.
 */
export function filterCondition(filters: FilterDataT[], under: 'data' | null = 'data'): Record<string, unknown> | null {
  if (!filters.length) return null;
  const field = (c: ConditionT) => stepField(c.field, under);
  const groups = filters.map((f) => ({ [f.mode === 'any' ? '$or' : '$and']: f.conditions.map((c) => ({ [field(c)]: conditionSpec(c) })) }));
  const all = groups.length === 1 ? groups[0] : { $and: groups };
  return under ? { [under]: all } : all;
}

export const FLOW_NODE_DATA: Record<NodeKind, z.ZodType> & typeof DATA = DATA;

/** What a destination node became: kept in the stored graph so the next save edits it in place. */
export type SavedAs = { kind: DestinationNodeT['kind']; connectionId: string; destinationId?: string };

/** The objects a stored graph's destination nodes point at (old graphs kept only `webhookId`). */
export function savedObjects(graph: FlowGraphT | null): Map<string, SavedAs> {
  const out = new Map<string, SavedAs>();
  for (const n of graph?.nodes ?? []) {
    if (!isDestinationKind(n.kind)) continue;
    const d = n.data as { connectionId?: string; webhookId?: string; destinationId?: string };
    const connectionId = d.connectionId ?? d.webhookId;
    if (connectionId) out.set(n.id, { kind: n.kind, connectionId, destinationId: d.destinationId });
  }
  return out;
}
