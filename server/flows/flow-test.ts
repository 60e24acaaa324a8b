import { z } from 'zod';
import type { AuthContext } from '../auth/auth.middleware.ts';
import { compileFilter, mappingProblems, type RequestView, type Rule } from '../gateway/rules.ts';
import { newId } from '../core/ids.ts';
import type { DestinationRow } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import { deliverNow, type DeliveryReport, type InboundSample } from '../delivery/deliver-now.ts';
import { OutboundShaper } from '../delivery/outbound.ts';
import { manifestOf, nodeManifestOf } from '../../connectors/index.ts';
import type { Preview, PreviewMessage } from '../../connectors/manifest.ts';
import { sealConfig } from '../gateway/destinations.service.ts';
import { APPLICATION_SOURCE_TYPE, type ApplicationSources } from '../publish/application-source.ts';
import type { EventTypesService } from '../publish/event-types.service.ts';
import {
  eventTypeOf,
  filterCondition,
  FlowEdge,
  FlowGraph,
  FlowNode,
  isDestinationKind,
  planDestinations,
  sourceOf,
  validateGraph,
  type ConditionT,
  type DedupeDataT,
  type DestinationNodeT,
  type FilterDataT,
  type FlowNodeT,
  type MapDataT,
} from '../../shared/flow-graph.ts';
import {
  dedupeRuleOf,
  existingDestination,
  inWords,
  invalidFlow,
  mappingsOf,
  planContext,
  planRules,
  testTarget,
  type CredentialFiller,
  type Detail,
} from './flow-objects.ts';
import { compileExpression, MappingError, readPath } from '../gateway/mappings.ts';
import { FilterFailed } from '../gateway/bounded-filter.ts';
import type { PublishedEvent } from '../publish/publish.service.ts';
import { recentEvents, sampleEvent } from '../publish/sample-event.ts';
import { sourceProblem, sourceSamples } from './source-sample.ts';

export const FlowTestIn = z
  .object({
    graph: z.object({ nodes: z.array(z.unknown()).max(200), edges: z.array(FlowEdge).max(500) }),
    trigger: z.string().min(1).max(40).optional(),
    data: z.record(z.string(), z.unknown()).optional(),
    use: z.enum(['sample', 'last']).default('sample'),
    deliver: z.string().min(1).max(40).optional(),
  })
  .strict();
export type FlowTestInT = z.output<typeof FlowTestIn>;

export type NodeResult = { status: 'passed' | 'stopped' | 'error' | 'skipped'; input?: unknown; output?: unknown; message?: string };
export type FlowTestOut = {
  /** The published event; for a source trigger, the request `{headers, body, query, path}` its steps read. */
  event: PublishedEvent | RequestView;
  /** Where it came from: the event type's sample, the last one published (the source's last request), or the data given. */
  source: 'sample' | 'last' | 'data';
  /** A source trigger's stored request the test ran (absent for given data). */
  request_id?: string;
  nodes: Record<string, NodeResult>;
  delivery?: DeliveryReport;
};

/** What a test starts from: a published event, or a request to an inbound source. */
type Start = { kind: 'event'; event: PublishedEvent } | { kind: 'request'; view: RequestView; inbound: InboundSample; requestId?: string };

const invalid = (details: Detail[]) => invalidFlow(details, 'tested');

/** What the steps so far do to the event: the transform rule the destination's connection will carry. */
type Shape = { expression?: string; map: MapDataT | null };

const shaper = new OutboundShaper();

/** The payload a connection with `shape` delivers for the start, by the delivery's own shaper. */
async function shaped(ws: string, start: Start, shape: Shape, envelope?: 'flat' | 'nested'): Promise<unknown> {
  const rules: Rule[] = [
    {
      type: 'transform',
      ...(shape.expression ? { expression: shape.expression } : {}),
      mappings: mappingsOf(shape.map),
      envelope: envelope ?? shape.map?.envelope ?? 'flat',
    },
  ];
  // A fresh connection id per call: the shaper caches compiled rules by connection.
  const common = { workspace_id: ws, connection_id: newId('test'), connection_updated_at: new Date(), rules };
  const out =
    start.kind === 'event'
      ? await shaper.shape({
          ...common,
          id: start.event.eventId,
          source_type: APPLICATION_SOURCE_TYPE,
          body: Buffer.from(JSON.stringify(start.event)),
          content_type: 'application/json',
          request: null,
        })
      : await shaper.shape({
          ...common,
          id: start.inbound.id,
          source_type: start.inbound.source_type,
          body: start.inbound.body,
          content_type: start.inbound.content_type,
          request: start.inbound.request,
        });
  return out.payload;
}

/** What the steps read at a point of the path: the event's data (or the request's body), after the transform expression so far. */
async function dataAt(ws: string, start: Start, shape: Shape): Promise<unknown> {
  if (start.kind === 'event') {
    if (!shape.expression) return start.event.data;
    return ((await shaped(ws, start, shape, 'nested').catch(() => null)) as { data?: unknown } | null)?.data ?? start.event.data;
  }
  if (!shape.expression) return start.view.body;
  return shaped(ws, start, { expression: shape.expression, map: null }).catch(() => start.view.body);
}

const human = (ms: number) =>
  ms % 3_600_000 === 0 ? `${ms / 3_600_000} h` : ms % 60_000 === 0 ? `${ms / 60_000} min` : ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;

/** Which conditions of a filter step the event (or the request's body) fails, for a message a non-developer can act on. */
function failing(filter: FilterDataT, start: Start): ConditionT[] {
  const view = start.kind === 'event' ? { body: start.event, headers: {}, query: {}, path: '/' } : start.view;
  return filter.conditions.filter((c) => {
    const cond = filterCondition([{ mode: 'all', conditions: [c] }], start.kind === 'event' ? 'data' : null);
    return !compileFilter({ body: cond ?? {} })(view);
  });
}
/**
 * The fields a dedupe step compares that the event (or request) does not have, read as the rule
 * reads them at ingest (the same rule, the same paths), named as the step names them.
 */
function comparedButMissing(d: DedupeDataT, start: Start): string[] {
  const rule = dedupeRuleOf(d, start.kind === 'request');
  if (rule.type !== 'deduplicate' || !d.include_fields?.length) return [];
  const view = start.kind === 'event' ? { body: start.event } : start.view;
  return d.include_fields.filter((_f, i) => readPath(view, (rule.include_fields as string[])[i]) === undefined);
}
const describe = (c: ConditionT) => `${c.field} ${c.op}${c.value === undefined ? '' : ` ${JSON.stringify(c.value)}`}`;

/**
 * What a destination node would send for a shaped payload, by its connector's own preview (a sheet's
 * row, HubSpot's properties, Zapier's body, Slack's blocks); an existing destination previews with
 * its stored config. No credentials are needed. A connector without a preview sends the payload.
 */
async function preview(deps: Deps, ws: string, node: DestinationNodeT, map: MapDataT | null, message: PreviewMessage): Promise<Preview> {
  const asIs = { ok: true, output: message.payload };
  if (node.kind === 'destination') {
    const row = await existingDestination(deps, ws, node, 'tested');
    return manifestOf(row.type)?.preview?.(row.config as Record<string, unknown>, message) ?? asIs;
  }
  const found = nodeManifestOf(node.kind);
  if (!found?.manifest.preview) return asIs;
  const mapped = (mappingsOf(map) ?? []).map((m) => m.to);
  return found.manifest.preview(found.node.toConfig(node.data, { events: [], mapped, vendorUrls: deps.config.vendorUrls, stored: null }), message);
}

/**
 * Runs a trigger's sample (or the last real event, or given data) through every node reachable from
 * it, with the delivery's own filter, shaper and connector body builders; `deliver` makes one real
 * delivery to a destination node, saved or not (an unsaved one is built in memory, never stored).
 */
export type FlowTesterCollaborators = { eventTypes: Pick<EventTypesService, 'resolve' | 'get'>; credentials: CredentialFiller; sources: ApplicationSources };

export function flowTester(deps: Deps, { eventTypes, credentials, sources }: FlowTesterCollaborators) {
  const samples = sourceSamples(deps);

  /**
   * A source trigger runs the source's last request, or `data` given as its body (a JSON request
   * to the ingest URL); with neither, the user is told how to get one.
   */
  async function pickRequest(
    ws: string,
    trigger: Extract<FlowNodeT, { kind: 'trigger' }>,
    sourceId: string,
    input: FlowTestInT,
  ): Promise<{ start: Start; source: FlowTestOut['source'] }> {
    const found = await samples.find(ws, sourceId);
    const problem = sourceProblem(found, sourceId);
    if (problem) throw invalid([{ path: `nodes.${trigger.id}.data.sourceId`, message: problem }]);
    const src = found as NonNullable<typeof found>;
    if (input.data) {
      const request = { headers: { 'content-type': 'application/json' }, query: {}, path: '/' };
      const inbound = { id: newId('evt'), source_type: src.type, body: Buffer.from(JSON.stringify(input.data)), content_type: 'application/json', request };
      return { start: { kind: 'request', view: { ...request, body: input.data }, inbound }, source: 'data' };
    }
    const last = await samples.last(ws, sourceId);
    if (!last) throw invalid([{ path: `nodes.${trigger.id}`, message: `send a request to ${src.url} first, or paste a sample body` }]);
    const { headers, query, path } = last.sample;
    const inbound = { id: newId('evt'), source_type: src.type, body: last.raw.body, content_type: last.raw.content_type, request: { headers, query, path } };
    return { start: { kind: 'request', view: last.sample, inbound, requestId: last.request_id }, source: 'last' };
  }

  async function pickStart(
    ws: string,
    trigger: Extract<FlowNodeT, { kind: 'trigger' }>,
    input: FlowTestInT,
  ): Promise<{ start: Start; source: FlowTestOut['source'] }> {
    const sourceId = sourceOf(trigger.data);
    if (sourceId !== null) return pickRequest(ws, trigger, sourceId, input);
    const picked = await pickEvent(ws, trigger, eventTypeOf(trigger.data) as string, input);
    return { start: { kind: 'event', event: picked.event }, source: picked.source };
  }

  async function pickEvent(
    ws: string,
    trigger: Extract<FlowNodeT, { kind: 'trigger' }>,
    eventType: string,
    input: FlowTestInT,
  ): Promise<{ event: PublishedEvent; source: FlowTestOut['source'] }> {
    const type = await eventTypes.resolve(ws, eventType).catch(() => {
      throw invalid([{ path: `nodes.${trigger.id}.data.eventType`, message: `unknown event type "${eventType}"` }]);
    });
    if (input.data) return { event: await sampleEvent(eventTypes, ws, type.name, input.data), source: 'data' };
    if (input.use === 'last') {
      const [last] = await recentEvents(deps, sources, ws, type.name, 1);
      if (last) return { event: last, source: 'last' };
    }
    return { event: await sampleEvent(eventTypes, ws, type.name), source: 'sample' };
  }

  /** The nodes reachable from the trigger, parsed (a node that does not parse is a 422 naming it), in an order where each follows its predecessors. */
  function reachable(raw: FlowTestInT['graph'], triggerId: string): { order: FlowNodeT[]; into: Map<string, string[]> } {
    const rawById = new Map<string, unknown>();
    for (const n of raw.nodes) {
      const id = (n as { id?: unknown } | null)?.id;
      if (typeof id === 'string') rawById.set(id, n);
    }
    const out = new Map<string, string[]>();
    for (const e of raw.edges) out.set(e.source, [...(out.get(e.source) ?? []), e.target]);
    const seen = new Set<string>([triggerId]);
    const todo = [triggerId];
    while (todo.length) for (const next of out.get(todo.pop() as string) ?? []) if (!seen.has(next) && rawById.has(next)) seen.add(next), todo.push(next);
    const details: Detail[] = [];
    const nodes = new Map<string, FlowNodeT>();
    for (const id of seen) {
      const parsed = FlowNode.safeParse(rawById.get(id));
      if (parsed.success) nodes.set(id, parsed.data);
      else for (const i of parsed.error.issues) details.push({ path: ['nodes', id, ...i.path.map(String)].join('.'), message: i.message });
    }
    if (details.length) throw invalid(details);
    const into = new Map<string, string[]>();
    for (const e of raw.edges) if (nodes.has(e.source) && nodes.has(e.target)) into.set(e.target, [...(into.get(e.target) ?? []), e.source]);
    // Kahn's order over the reachable part; what is left over sits on a cycle.
    const waiting = new Map([...nodes.keys()].map((id) => [id, (into.get(id) ?? []).length]));
    const order: FlowNodeT[] = [];
    const ready = [...waiting].filter(([, n]) => n === 0).map(([id]) => id);
    while (ready.length) {
      const id = ready.shift() as string;
      order.push(nodes.get(id) as FlowNodeT);
      for (const next of out.get(id) ?? []) {
        if (!waiting.has(next)) continue;
        waiting.set(next, (waiting.get(next) as number) - 1);
        if (waiting.get(next) === 0) ready.push(next);
      }
    }
    if (order.length < nodes.size) {
      throw invalid(
        [...nodes.keys()]
          .filter((id) => !order.some((n) => n.id === id))
          .map((id) => ({ path: `nodes.${id}`, message: 'is part of a cycle: a flow must run one way, from triggers to destinations' })),
      );
    }
    return { order, into };
  }

  /** The destination and connection rows of one destination node, built in memory (never stored) unless it names an existing destination. */
  async function deliveryTarget(
    ws: string,
    caller: AuthContext,
    graph: FlowTestInT['graph'],
    node: DestinationNodeT,
  ): Promise<{ dest: DestinationRow; rules: Rule[] }> {
    // The delivered destination's plan comes from the part of the graph leading to it, checked like a save.
    const keep = new Set<string>([node.id]);
    const todo = [node.id];
    while (todo.length) {
      const id = todo.pop() as string;
      for (const e of graph.edges) if (e.target === id && !keep.has(e.source)) keep.add(e.source), todo.push(e.source);
    }
    const sub = {
      nodes: graph.nodes.filter((n) => keep.has((n as { id?: string }).id ?? '')),
      edges: graph.edges.filter((e) => keep.has(e.source) && keep.has(e.target)),
    };
    const problems = validateGraph(sub);
    if (problems.length) throw invalid(problems.map(({ path, message }) => ({ path, message })));
    const plan = planDestinations(FlowGraph.parse(sub)).find((p) => p.node.id === node.id);
    if (!plan) throw invalid([{ path: `nodes.${node.id}`, message: 'no trigger leads to this destination' }]);
    let rules: Rule[];
    try {
      rules = planRules(plan);
    } catch (err) {
      if (!(err instanceof z.ZodError)) throw err;
      throw invalid(err.issues.map((i) => ({ path: `nodes.${node.id}`, message: i.message })));
    }
    if (node.kind === 'destination') return { dest: await existingDestination(deps, ws, node, 'tested'), rules };
    const target = await testTarget(deps, credentials, caller, ws, node, planContext(plan));
    const sealed = sealConfig(deps, target.connector, target.config);
    const now = new Date();
    const dest: DestinationRow = {
      id: node.data.destinationId ?? newId('des'),
      workspace_id: ws,
      name: node.id,
      description: null,
      type: target.connector.id,
      config: JSON.parse(sealed.config) as Record<string, unknown>,
      auth_enc: sealed.auth_enc,
      disabled_at: null,
      disabled_reason: null,
      warning: null,
      disable_alert_pending: false,
      consecutive_failures: 0,
      max_concurrency: null,
      circuit_failures: 0,
      circuit_opened_at: null,
      circuit_probe_at: null,
      circuit_reason: null,
      created_at: now,
      updated_at: now,
    };
    return { dest, rules };
  }

  /** `caller` decides whether a webhook node may take a saved destination's credentials to its new URL. */
  async function run(ws: string, input: FlowTestInT, caller: AuthContext): Promise<FlowTestOut> {
    const triggers = input.graph.nodes.filter((n) => (n as { kind?: unknown } | null)?.kind === 'trigger') as { id: string }[];
    const triggerId = input.trigger ?? triggers[0]?.id;
    if (!triggerId) throw invalid([{ path: 'graph.nodes', message: 'add a trigger: the test runs its event through the flow' }]);
    if (!triggers.some((t) => t.id === triggerId)) throw invalid([{ path: 'trigger', message: `"${triggerId}" is not a trigger of this graph` }]);
    const { order, into } = reachable(input.graph, triggerId);
    const trigger = order[0] as Extract<FlowNodeT, { kind: 'trigger' }>;
    const { start, source } = await pickStart(ws, trigger, input);

    // Expressions and mappings that do not compile are the user's to fix before anything runs.
    const details: Detail[] = [];
    for (const n of order) {
      if (n.kind === 'transform') {
        try {
          compileExpression(n.data.expression);
        } catch (err) {
          details.push({ path: `nodes.${n.id}.data.expression`, message: (err as Error).message });
        }
      }
      if (n.kind === 'map')
        for (const p of mappingProblems(n.data.mappings, n.data.envelope))
          details.push({ path: ['nodes', n.id, 'data', ...p.path].join('.'), message: p.message });
    }
    if (details.length) throw invalid(details);

    // Keyed by the user's node ids: without a prototype, an id such as `__proto__` is a key like any other.
    const nodes = Object.create(null) as Record<string, NodeResult>;
    const shapes = new Map<string, Shape>();
    const stoppedAt = new Map<string, string>();
    for (const n of input.graph.nodes) {
      const id = (n as { id?: unknown } | null)?.id;
      if (typeof id === 'string') nodes[id] = { status: 'skipped', message: 'the test event does not reach this node' };
    }
    for (const node of order) {
      const from = (into.get(node.id) ?? []).find((p) => nodes[p].status === 'passed');
      if (node.kind !== 'trigger' && !from) {
        const why = (into.get(node.id) ?? [])
          .map((p) => stoppedAt.get(p) ?? (nodes[p].status === 'stopped' || nodes[p].status === 'error' ? p : undefined))
          .find(Boolean);
        if (why) stoppedAt.set(node.id, why);
        nodes[node.id] = { status: 'skipped', message: why ? `not reached: the event stopped at ${why}` : 'not reached' };
        continue;
      }
      const shape: Shape = from ? (shapes.get(from) as Shape) : { map: null };
      const current = await dataAt(ws, start, shape);
      const result = await step(ws, node, start, current, shape).catch((err: unknown): { result: NodeResult; shape: Shape } => {
        if (err instanceof MappingError || err instanceof FilterFailed) return { result: { status: 'error', input: current, message: err.message }, shape };
        throw err;
      });
      nodes[node.id] = result.result;
      shapes.set(node.id, result.shape);
    }

    const event = start.kind === 'event' ? start.event : start.view;
    const out: FlowTestOut = { event, source, ...(start.kind === 'request' && start.requestId ? { request_id: start.requestId } : {}), nodes };
    if (input.deliver !== undefined) {
      const node = order.find((n) => n.id === input.deliver);
      if (!node || !isDestinationKind(node.kind)) {
        const exists = input.graph.nodes.some((n) => (n as { id?: unknown } | null)?.id === input.deliver);
        throw invalid([
          {
            path: exists ? `nodes.${input.deliver}` : 'deliver',
            message: exists ? 'the test event does not reach this node, or it is not a destination' : `there is no node "${input.deliver}"`,
          },
        ]);
      }
      if (nodes[node.id].status !== 'passed') return out;
      const { dest, rules } = await deliveryTarget(ws, caller, input.graph, node as DestinationNodeT);
      out.delivery = await deliverNow(deps, dest, { id: newId('test'), updated_at: new Date(), rules }, start.kind === 'event' ? start.event : start.inbound);
    }
    return out;
  }

  return {
    /** `run`, its 422s worded with the graph sent. */
    run: (ws: string, input: FlowTestInT, caller: AuthContext): Promise<FlowTestOut> =>
      run(ws, input, caller).catch((err: unknown) => {
        throw inWords(err, input.graph, 'tested');
      }),
  };

  /** One node's result on the event (or request), and what the steps so far will do to it; `current` is the data (or body) the steps read here. */
  async function step(ws: string, node: FlowNodeT, start: Start, current: unknown, shape: Shape): Promise<{ result: NodeResult; shape: Shape }> {
    switch (node.kind) {
      case 'trigger':
        return { result: { status: 'passed', output: start.kind === 'event' ? start.event : start.view }, shape };
      case 'filter': {
        const misses = failing(node.data, start);
        const passed = node.data.mode === 'any' ? misses.length < node.data.conditions.length : misses.length === 0;
        const what = start.kind === 'event' ? 'this event' : 'this request';
        const message = passed
          ? undefined
          : node.data.mode === 'any'
            ? `none of the conditions matches ${what}`
            : `${what} fails ${misses.map(describe).join(', ')}`;
        return {
          result: { status: passed ? 'passed' : 'stopped', input: current, ...(passed ? { output: current } : {}), ...(message ? { message } : {}) },
          shape,
        };
      }
      case 'transform': {
        const next = { ...shape, expression: node.data.expression };
        const output =
          start.kind === 'event'
            ? ((await shaped(ws, start, next, 'nested')) as { data: unknown }).data
            : await shaped(ws, start, { expression: next.expression, map: null });
        return { result: { status: 'passed', input: current, output }, shape: next };
      }
      case 'map': {
        const next = { ...shape, map: node.data };
        return { result: { status: 'passed', input: current, output: await shaped(ws, start, next) }, shape: next };
      }
      case 'delay':
        return {
          result: {
            status: 'passed',
            input: current,
            output: current,
            message: `each event waits ${human(node.data.delay_ms)} before it is delivered; the test does not wait`,
          },
          shape,
        };
      case 'dedupe': {
        const all = start.kind === 'event' ? 'comparing all its data' : 'comparing the whole body';
        const fields = node.data.include_fields?.length
          ? `comparing ${node.data.include_fields.join(', ')}`
          : node.data.exclude_fields?.length
            ? `comparing all but ${node.data.exclude_fields.join(', ')}`
            : all;
        const missing = comparedButMissing(node.data, start);
        const lacks = missing.length
          ? `; ${start.kind === 'event' ? 'this event' : 'this request'} has no ${missing.join(', ')}: every one without it counts as equal there`
          : '';
        return {
          result: {
            status: 'passed',
            input: current,
            output: current,
            message: `an event equal to one in the last ${human(node.data.window_ms)} (${fields}) is dropped${lacks}; the test does not check for duplicates`,
          },
          shape,
        };
      }
      default: {
        const payload = await shaped(ws, start, shape);
        const message =
          start.kind === 'event' ? { payload, eventId: start.event.eventId, eventType: start.event.eventType } : { payload, eventId: start.inbound.id };
        const body = await preview(deps, ws, node as DestinationNodeT, shape.map, message);
        return {
          result: {
            status: body.ok ? 'passed' : 'error',
            input: payload,
            ...(body.output !== undefined ? { output: body.output } : {}),
            ...(body.message ? { message: body.message } : {}),
          },
          shape,
        };
      }
    }
  }
}
