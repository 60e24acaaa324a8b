import type { HttpConfig } from '../../connectors/http-webhook/config.ts';
import { nodeManifestOf } from '../../connectors/index.ts';
import type { Deps } from '../deps.ts';
import { destinationConfig } from '../gateway/destinations.service.ts';
import type { Rule } from '../gateway/rules.ts';
import { APPLICATION_SOURCE_TYPE } from '../publish/application-source.ts';
import {
  eventTypeOf,
  filterCondition,
  isDestinationKind,
  planDestinations,
  savedObjects,
  validateGraph,
  type DedupeDataT,
  type FlowGraphT,
  type FlowNodeT,
  type GraphProblem,
  type StepKind,
} from '../../shared/flow-graph.ts';
import { dedupeData, dedupeRuleOf, flowFilterOf, misreadSourceDedupe, sourceDedupeData } from './flow-objects.ts';
import { authorizationHint, eventsOf } from '../publish/webhooks.service.ts';

export type FlowProblem = { path: string; message: string };

type Row = {
  connectionId: string;
  rules: Rule[];
  destinationId: string;
  type: string;
  config: Record<string, unknown>;
  auth_enc: string | null;
  sourceId: string;
  sourceType: string;
};
/** The connection takes an inbound source's requests, not published events. */
const fromSource = (row: Row) => row.sourceType !== APPLICATION_SOURCE_TYPE;
/** Step node data as the connection's rules say it should be; null = the rules have no such step. */
type Wanted = Partial<Record<Exclude<StepKind, 'filter'>, unknown>>;

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
/**
 * A step's data and what the rules say it should be: dedupe steps are the same when they make the
 * same rule, so the field the user typed (`body.email`, or a bare `email` saved before) is kept.
 */
const sameStep = (kind: Exclude<StepKind, 'filter'>, data: unknown, wanted: unknown, source: boolean) =>
  kind === 'dedupe' && data && wanted ? same(dedupeRuleOf(data as DedupeDataT, source), dedupeRuleOf(wanted as DedupeDataT, source)) : same(data, wanted);
/** What a destination node became, in a sentence: a connector's node says ("Google Sheet destination"); an existing destination's is a connection. */
const madeWords = (kind: string) => nodeManifestOf(kind)?.node.spec.madeWords ?? 'connection';

/** What a connection's rules say each step of its path should hold (null: no such step). */
function wantedSteps(rules: Rule[], source = false): Wanted | null {
  const transform = rules.find((r) => r.type === 'transform');
  const delay = rules.find((r) => r.type === 'delay');
  const dedupe = rules.find((r) => r.type === 'deduplicate');
  const dedupeNode = dedupe ? (source ? sourceDedupeData(dedupe) : dedupeData(dedupe)) : null;
  if (dedupe && !dedupeNode) return null;
  return {
    transform: transform?.expression ? { expression: transform.expression } : null,
    map: { mappings: transform?.mappings ?? [], envelope: transform?.envelope ?? 'flat' },
    delay: delay ? { delay_ms: delay.delay } : null,
    dedupe: dedupeNode,
  };
}

/**
 * A destination node's data refreshed from its destination's config, as its connector's manifest
 * reads the config's plain part (credentials never reach the graph), then what the manifest may
 * show of the credentials (a masked form). A webhook fed by published events is a hub webhook and
 * keeps its id; an existing destination's node only its ids.
 */
function nodeData(deps: Deps, node: FlowNodeT, row: Row): FlowNodeT['data'] {
  const saved = { connectionId: row.connectionId, destinationId: row.destinationId };
  if (node.kind === 'destination') return { ...node.data, destinationId: row.destinationId, connectionId: row.connectionId };
  const found = nodeManifestOf(node.kind);
  if (!found) return node.data;
  const shown = found.node.publicData?.(destinationConfig(deps, row));
  // The Authorization is sealed with the credentials; only its masked form is shown.
  const webhook =
    node.kind === 'webhook'
      ? { ...(fromSource(row) ? {} : { webhookId: row.connectionId }), authorizationHint: authorizationHint(destinationConfig(deps, row) as HttpConfig) }
      : {};
  return { ...node.data, ...found.node.fromConfig(row.config), ...webhook, ...saved, ...shown } as FlowNodeT['data'];
}

/** Mutable adjacency over a graph being edited. */
class Editable {
  constructor(public graph: FlowGraphT) {}
  node = (id: string) => this.graph.nodes.find((n) => n.id === id);
  into = (id: string) => this.graph.edges.filter((e) => e.target === id).map((e) => e.source);
  outOf = (id: string) => this.graph.edges.filter((e) => e.source === id).map((e) => e.target);
  /** The steps and triggers upstream of a node (the graph is valid: every path passes the same steps). */
  upstream(id: string): { steps: FlowNodeT[]; triggers: FlowNodeT[] } {
    const steps = new Map<string, FlowNodeT>();
    const triggers = new Map<string, FlowNodeT>();
    const todo = [...this.into(id)];
    while (todo.length) {
      const n = this.node(todo.pop() as string);
      if (!n || steps.has(n.id) || triggers.has(n.id)) continue;
      (n.kind === 'trigger' ? triggers : steps).set(n.id, n);
      todo.push(...this.into(n.id));
    }
    return { steps: [...steps.values()], triggers: [...triggers.values()] };
  }
  destinationsAfter(id: string): string[] {
    const seen = new Set<string>();
    const todo = [id];
    while (todo.length) for (const n of this.outOf(todo.pop() as string)) if (!seen.has(n)) seen.add(n), todo.push(n);
    return [...seen].filter((n) => isDestinationKind(this.node(n)?.kind));
  }
  freeId(base: string) {
    let id = base.slice(0, 36);
    for (let i = 2; this.node(id); i++) id = `${base.slice(0, 34)}_${i}`;
    return id;
  }
  /** Puts a new node on every edge into `before`. */
  insertBefore(before: string, node: FlowNodeT) {
    this.graph.edges = this.graph.edges.map((e) => (e.target === before ? { ...e, target: node.id } : e));
    this.graph.nodes.push(node);
    this.graph.edges.push({ id: this.freeId(`${node.id}-${before}`), source: node.id, target: before });
  }
  /** Takes a step out, joining what led into it to what followed it. */
  splice(id: string) {
    const ins = this.into(id);
    const outs = this.outOf(id);
    this.graph.nodes = this.graph.nodes.filter((n) => n.id !== id);
    this.graph.edges = this.graph.edges.filter((e) => e.source !== id && e.target !== id);
    for (const s of ins)
      for (const t of outs)
        if (!this.graph.edges.some((e) => e.source === s && e.target === t)) this.graph.edges.push({ id: this.freeId(`${s}-${t}`), source: s, target: t });
  }
}

/**
 * The stored graph as the hub's objects are now: destinations' URLs and configs, mappings,
 * envelope, expression, delay, deduplication and event types edited through the API show in the
 * graph. What cannot be drawn (objects deleted, destinations sharing a step edited apart, a filter
 * edited by hand) is reported in `problems`, naming the node; saving the flow puts it back.
 */
export async function refreshGraph(deps: Deps, ws: string, stored: FlowGraphT): Promise<{ graph: FlowGraphT; problems: FlowProblem[] }> {
  const graph: FlowGraphT = structuredClone(stored);
  const saved = savedObjects(graph);
  const ids = [...saved.values()].map((s) => s.connectionId);
  const rows = ids.length
    ? await deps.db
        .selectFrom('connections as c')
        .innerJoin('destinations as d', 'd.id', 'c.destination_id')
        .innerJoin('sources as s', 's.id', 'c.source_id')
        .select([
          'c.id as connectionId',
          'c.rules',
          'd.id as destinationId',
          'd.type',
          'd.config',
          'd.auth_enc',
          'c.source_id as sourceId',
          's.type as sourceType',
        ])
        .where('c.workspace_id', '=', ws)
        .where('c.id', 'in', ids)
        .execute()
    : [];
  const byConn = new Map(rows.map((r) => [r.connectionId, { ...r, rules: r.rules as Rule[], config: r.config as Record<string, unknown> }]));
  const problems: FlowProblem[] = [];
  const problem = (id: string, message: string) => problems.push({ path: `nodes.${id}`, message });
  const live = new Map<string, Row>();

  for (const [nodeId, s] of saved) {
    const row = byConn.get(s.connectionId);
    const node = graph.nodes.find((n) => n.id === nodeId) as FlowNodeT;
    if (!row) {
      problem(nodeId, `the ${madeWords(s.kind)} this node became was deleted outside this flow; saving the flow makes it again`);
      continue;
    }
    live.set(nodeId, row);
    node.data = nodeData(deps, node, row);
  }

  const g = new Editable(graph);
  const plans = new Map(planDestinations(graph).map((p) => [p.node.id, p]));
  for (const [nodeId, row] of live) {
    const plan = plans.get(nodeId);
    // A source's filter steps are its whole filter; an event's sit beside its event types.
    const filter = flowFilterOf(row.rules, fromSource(row));
    if (plan && !same(filter, filterCondition(plan.filters, fromSource(row) ? null : 'data') ?? {})) {
      problem(nodeId, 'its filter was edited outside this flow and cannot be drawn as filter steps; saving the flow replaces it with the filter steps shown');
    }
    if (!wantedSteps(row.rules, fromSource(row)))
      problem(nodeId, 'its deduplicate rule compares request fields a Deduplicate step cannot show; saving the flow replaces it');
  }

  // Sources: a connection moved to another inbound source through the API moves its trigger, when every destination behind that trigger moved alike.
  for (const [nodeId, row] of live) {
    const plan = plans.get(nodeId);
    if (!plan) continue;
    if (plan.source === null) {
      if (fromSource(row))
        problem(nodeId, `its connection was moved to source ${row.sourceId} outside this flow; saving the flow puts it back on the event types shown`);
      continue;
    }
    if (row.sourceId === plan.source) continue;
    const triggers = g.upstream(nodeId).triggers;
    const behind = [...new Set(triggers.flatMap((t) => g.destinationsAfter(t.id)))];
    if (!fromSource(row) || behind.some((d) => !live.has(d) || (live.get(d) as Row).sourceId !== row.sourceId)) {
      problem(
        nodeId,
        `its connection was moved to source ${row.sourceId} outside this flow, apart from the destinations sharing its trigger; saving the flow puts back ${plan.source}`,
      );
      continue;
    }
    for (const t of triggers) if (t.kind === 'trigger') t.data = { sourceId: row.sourceId };
  }

  // Event types: the triggers feeding a destination's first step are rewired when every destination behind that step agrees.
  for (const [nodeId, row] of live) {
    // A source's filter may name a body field `eventType`: only published events' filters list event types.
    if (fromSource(row)) continue;
    const events = eventsOf(row.rules);
    const { triggers, steps } = g.upstream(nodeId);
    const have = triggers.map((t) => (t.kind === 'trigger' ? (eventTypeOf(t.data) ?? '') : ''));
    if (!events.length || same([...have].sort(), [...events].sort())) continue;
    // Where this destination's path starts: the node its triggers lead into.
    const entries = [nodeId, ...steps.map((s) => s.id)].filter((id) => g.into(id).some((p) => g.node(p)?.kind === 'trigger'));
    const behind = [...new Set(entries.flatMap((e) => (isDestinationKind(g.node(e)?.kind) ? [e] : g.destinationsAfter(e))))];
    if (entries.length !== 1 || behind.some((d) => live.has(d) && !same([...eventsOf((live.get(d) as Row).rules)].sort(), [...events].sort()))) {
      problem(
        nodeId,
        `its event types were edited outside this flow (${events.join(', ')}) apart from the destinations sharing its steps; saving the flow puts back ${have.join(', ')}`,
      );
      continue;
    }
    const entry = entries[0];
    for (const t of triggers) {
      if (t.kind === 'trigger' && !events.includes(eventTypeOf(t.data) ?? '')) {
        graph.edges = graph.edges.filter((e) => !(e.source === t.id && e.target === entry));
        if (!g.outOf(t.id).length) graph.nodes = graph.nodes.filter((n) => n.id !== t.id);
      }
    }
    const at = g.node(entry)?.position ?? { x: 0, y: 0 };
    events.forEach((type, i) => {
      if (have.includes(type)) return;
      let trigger = graph.nodes.find((n) => n.kind === 'trigger' && eventTypeOf(n.data) === type);
      if (!trigger) {
        trigger = {
          id: g.freeId(`trigger_${type.replace(/[^A-Za-z0-9_-]/g, '_')}`),
          kind: 'trigger',
          position: { x: at.x - 260, y: at.y + 120 * (i + 1) },
          data: { eventType: type },
        };
        graph.nodes.push(trigger);
      }
      graph.edges.push({ id: g.freeId(`${trigger.id}-${entry}`), source: trigger.id, target: entry });
    });
  }

  // Steps: each step node takes what its destinations' rules say, when they agree.
  for (const kind of ['transform', 'map', 'delay', 'dedupe'] as const) {
    for (const [nodeId, row] of live) {
      const wanted = wantedSteps(row.rules, fromSource(row));
      if (!wanted || !g.node(nodeId)) continue;
      const value = wanted[kind] ?? null;
      const step = g.upstream(nodeId).steps.find((s) => s.kind === kind);
      if (step) {
        const rule = row.rules.find((r) => r.type === 'deduplicate');
        if (kind === 'dedupe' && fromSource(row) && rule?.type === 'deduplicate' && misreadSourceDedupe(step.data as DedupeDataT, rule)) {
          const fields = [...(rule.include_fields ?? rule.exclude_fields ?? [])].join(', ');
          problem(
            step.id,
            `it was saved comparing ${fields}, which no request has, so every request after the first within the window is dropped as a duplicate; saving the flow compares the fields shown`,
          );
          continue;
        }
        const behind = g.destinationsAfter(step.id).filter((d) => live.has(d));
        if (behind.some((d) => !same(wantedSteps((live.get(d) as Row).rules, fromSource(live.get(d) as Row))?.[kind] ?? null, value))) {
          problem(step.id, `the destinations after this step were edited apart outside this flow; saving the flow gives them all this step`);
          continue;
        }
        if (value === null && kind !== 'map') g.splice(step.id);
        // A dedupe step's data is replaced whole: merged, fields it compared before would stay beside the ones it ignores now.
        else if (value !== null && !sameStep(kind, step.data, value, fromSource(row)))
          step.data = (kind === 'dedupe' ? value : { ...step.data, ...(value as object) }) as never;
        continue;
      }
      if (value === null || (kind === 'map' && !(value as { mappings: unknown[] }).mappings.length && (value as { envelope: string }).envelope === 'flat'))
        continue;
      const node = g.node(nodeId) as FlowNodeT;
      let before = nodeId;
      if (kind === 'transform') {
        const map = g.upstream(nodeId).steps.find((s) => s.kind === 'map');
        if (map && g.destinationsAfter(map.id).length > 1) {
          problem(nodeId, 'a transform expression was added outside this flow before a map step other destinations share; saving the flow removes it');
          continue;
        }
        if (map) before = map.id;
      }
      const at = (g.node(before) as FlowNodeT).position;
      g.insertBefore(before, { id: g.freeId(`${kind}_${node.id}`), kind, position: { x: at.x - 120, y: at.y + 90 }, data: value } as FlowNodeT);
    }
  }

  for (const p of validateGraph(graph) as GraphProblem[]) if (!problems.some((q) => q.path === p.path)) problems.push({ path: p.path, message: p.message });
  return { graph, problems };
}
