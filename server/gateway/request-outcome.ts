import type { Kysely } from 'kysely';
import type { DB } from '../db/schema.ts';
import { FlowGraph, filterCondition, planDestinations, stepField, type ConditionT, type FilterDataT, type FlowGraphT } from '../../shared/flow-graph.ts';
import { readPath } from './mappings.ts';
import { bodyForReading } from './body.ts';
import { plainReason, retryPlan, type RetryPlan } from './delivery-reason.ts';
import { connectionLabels, type ConnectionLabel } from './log-labels.ts';
import { connectionOutcome, summarise, type ConnectionOutcome, type RequestOutcome } from './log-rows.ts';
import { compileFilter, splitFilters, type DeduplicateRuleT, type FilterRuleT, type RequestView } from './rules.ts';

/**
 * Why a request went where it went, connection by connection, in sentences: which flow step or
 * connection filter turned it away and what the request had instead, that a de-duplication window
 * dropped it, or how its event's delivery is going. Reads the one request's body, to evaluate each
 * filter step on its own against it; its rules are those of today, which the answer says when the
 * connection was edited after the request arrived.
 */
export type StepExplanation = { node_id: string | null; description: string; failed: string[] };
export type ConnectionStory = ConnectionOutcome & {
  explanation: string;
  /** The steps (or connection filters) that did not pass. */
  steps?: StepExplanation[];
  event?: { id: string; status: string; attempts: number; reason: string | null; retry: RetryPlan | null };
  ignored_event_id?: string;
  /** The connection was edited after the request arrived: the steps are explained with today's rules. */
  rules_changed?: boolean;
};
export type RequestStory = RequestOutcome & { request_id: string; connections: ConnectionStory[] };

type StoredRequest = {
  id: string;
  status: 'accepted' | 'rejected';
  rejection_cause: string | null;
  events_count: number;
  ignored_count: number;
  created_at: Date;
  body: Buffer;
  content_type: string | null;
  headers: Record<string, string>;
  query: Record<string, unknown>;
  path: string;
};

const OPS: Record<ConditionT['op'], string> = { eq: 'is', neq: 'is not', contains: 'contains', exists: 'exists', gt: 'is more than', lt: 'is less than' };
const shown = (v: unknown) => {
  const s = JSON.stringify(v) ?? 'nothing';
  return s.length > 80 ? `${s.slice(0, 79)}…` : s;
};
/** A condition's field as the flow editor names it: `body.type` of a request, `data.email` of an event, however it was saved. */
const fieldName = (field: string, under: 'data' | null) => (under === null ? `body.${stepField(field, null)}` : `data.${stepField(field, 'data')}`);

export function describeCondition(c: ConditionT, under: 'data' | null): string {
  const name = fieldName(c.field, under);
  if (c.op === 'exists') return c.value === false ? `${name} is missing` : `${name} is present`;
  return `${name} ${OPS[c.op]} ${shown(c.value ?? null)}`;
}

/** What the request had where a condition looked: `body.type was "newsletter"`. */
function actual(view: RequestView, c: ConditionT, under: 'data' | null): string {
  // A request's body is the view's body; an event is the body of the request that published it.
  const path = under === null ? fieldName(c.field, under) : `body.${fieldName(c.field, under)}`;
  const v = readPath(view, path);
  const name = fieldName(c.field, under);
  return v === undefined ? `the request has no ${name}` : `${name} was ${shown(v)}`;
}

const passes = (rule: Omit<FilterRuleT, 'type'>, view: RequestView): boolean | null => {
  try {
    return compileFilter(rule)(view);
  } catch {
    return null;
  }
};

/** Each filter step on the flow's path into this connection's node, evaluated alone, with the conditions that failed. */
function flowSteps(graph: FlowGraphT, nodeId: string, title: string, view: RequestView): StepExplanation[] | null {
  const plan = planDestinations(graph).find((p) => p.node.id === nodeId);
  if (!plan) return null;
  const under = plan.source ? null : 'data';
  const out: StepExplanation[] = [];
  for (const node of graph.nodes) {
    if (node.kind !== 'filter' || !plan.filters.includes(node.data)) continue;
    const data: FilterDataT = node.data;
    const whole = filterCondition([data], under);
    if (!whole || passes({ body: whole }, view) !== false) continue;
    const failed = data.conditions
      .filter((c) => passes({ body: filterCondition([{ mode: 'all', conditions: [c] }], under) ?? {} }, view) === false)
      .map((c) => actual(view, c, under));
    const joiner = data.mode === 'any' ? ' or ' : ' and ';
    out.push({
      node_id: node.id,
      description: `the filter step “${data.conditions.map((c) => describeCondition(c, under)).join(joiner)}” of ${title}`,
      failed,
    });
  }
  return out;
}

/** A hand-made connection's filters (those read at ingest), each evaluated alone. */
function connectionFilters(conn: ConnectionLabel, view: RequestView): StepExplanation[] {
  return splitFilters(conn.rules.filter((r) => r?.type === 'filter'))
    .ingest.map((rule, i) => ({ rule, i }))
    .filter(({ rule }) => passes(rule, view) === false)
    .map(({ rule, i }) => {
      const { type: _t, ...cond } = rule;
      return { node_id: null, description: `filter ${i + 1} of the connection “${conn.name}” (${shown(cond)})`, failed: [] };
    });
}

function graphOf(raw: unknown): FlowGraphT | null {
  const parsed = FlowGraph.safeParse(raw);
  return parsed.success ? parsed.data : null;
}

export async function requestStory(db: Kysely<DB>, ws: string, schedule: number[], req: StoredRequest): Promise<RequestStory> {
  const [events, ignored] = await Promise.all([
    db
      .selectFrom('events')
      .select(['id', 'connection_id', 'status', 'attempts', 'next_attempt_at', 'response_status', 'error_code'])
      .where('workspace_id', '=', ws)
      .where('request_id', '=', req.id)
      .orderBy('id')
      .execute(),
    db
      .selectFrom('ignored_events')
      .select(['id', 'connection_id', 'cause'])
      .where('workspace_id', '=', ws)
      .where('request_id', '=', req.id)
      .orderBy('id')
      .execute(),
  ]);
  const conns = await connectionLabels(db, ws, [...events.map((e) => e.connection_id), ...ignored.map((g) => g.connection_id)]);
  const flowIds = [...new Set([...conns.values()].flatMap((c) => (c.flow ? [c.flow.id] : [])))];
  const graphs = new Map(
    flowIds.length
      ? (await db.selectFrom('flows').select(['id', 'graph']).where('workspace_id', '=', ws).where('id', 'in', flowIds).execute()).map((f) => [
          f.id,
          graphOf(f.graph),
        ])
      : [],
  );
  let view: RequestView | null = null;
  const viewOf = () => (view ??= { body: bodyForReading(req.body, req.content_type), headers: req.headers, query: req.query, path: req.path });

  const stories: ConnectionStory[] = [];
  for (const e of events) {
    const conn = conns.get(e.connection_id);
    const state = { ...e, status: e.status };
    const retry = retryPlan(state, conn, schedule);
    const reason = plainReason(state, conn);
    const base = connectionOutcome(conn, e.connection_id, retry ? 'retrying' : EVENT_RESULT[e.status], 1);
    stories.push({
      ...base,
      explanation: eventSentence(base.title, e.status, reason, retry),
      event: { id: e.id, status: e.status, attempts: e.attempts, reason, retry },
    });
  }
  for (const g of ignored) {
    const conn = conns.get(g.connection_id);
    const result = g.cause === 'DUPLICATE' ? 'duplicate' : g.cause.startsWith('FILTER_FAILED') ? 'filter_failed' : 'filtered';
    const base = connectionOutcome(conn, g.connection_id, result, 1);
    const story: ConnectionStory = { ...base, ignored_event_id: g.id, explanation: '' };
    if (result === 'duplicate') {
      const window = conn?.rules.find((r): r is DeduplicateRuleT => r?.type === 'deduplicate')?.window;
      story.explanation = `${cap(base.title)} had already received the same request${window ? ` in the last ${Math.round(window / 1000)} s` : ''} and dropped this copy (de-duplication).`;
    } else if (result === 'filter_failed') {
      story.explanation = `The filter of ${base.title} could not run on this request (${g.cause.replace(/^FILTER_FAILED:\s*/, '')}), so it was not sent.`;
    } else if (g.cause === 'TRANSFORMATION_FILTERED') {
      story.explanation = `The filter after the transformation of ${base.title} turned it away, so it was not sent.`;
    } else {
      const graph = conn?.flow ? graphs.get(conn.flow.id) : null;
      const steps = conn ? ((graph && conn.flow ? flowSteps(graph, conn.flow.node_id, base.title, viewOf()) : null) ?? connectionFilters(conn, viewOf())) : [];
      story.steps = steps;
      story.rules_changed = conn ? conn.updated_at > req.created_at : false;
      story.explanation = filteredSentence(base.title, steps, story.rules_changed);
    }
    stories.push(story);
  }
  const outcome = summarise(req, stories);
  return { request_id: req.id, ...outcome, connections: stories };
}

const EVENT_RESULT: Record<string, ConnectionOutcome['result']> = {
  SUCCESSFUL: 'delivered',
  FAILED: 'failed',
  SCHEDULED: 'waiting',
  QUEUED: 'waiting',
  HOLD: 'held',
  CANCELLED: 'cancelled',
};
const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

function eventSentence(title: string, status: string, reason: string | null, retry: RetryPlan | null): string {
  // The time is the reader's own: the portal adds it from `retry.at` in local time.
  if (retry) return `${cap(title)} could not deliver it (${reason ?? 'failed'}); it will try again (attempt ${retry.attempt} of ${retry.of}).`;
  switch (status) {
    case 'SUCCESSFUL':
      return `${cap(title)} delivered it.`;
    case 'FAILED':
      return `${cap(title)} could not deliver it${reason ? ` (${reason})` : ''} and gave up; Retry sends it again.`;
    case 'HOLD':
      return `${cap(title)} holds it${reason ? `: ${reason}` : ''}.`;
    case 'CANCELLED':
      return `${cap(title)} cancelled it${reason ? ` (${reason})` : ''}.`;
    default:
      return `${cap(title)} is about to deliver it${reason ? ` (${reason})` : ''}.`;
  }
}

function filteredSentence(title: string, steps: StepExplanation[], changed: boolean): string {
  const later = changed ? ' (the filters were edited after this request arrived: this is how today’s filters see it)' : '';
  if (steps.length === 0) return `${cap(title)} filtered it out${changed ? '; today’s filters would let it through, they were edited since' : ''}.`;
  const which = steps.map((s) => `${s.description}${s.failed.length ? `: ${s.failed.join('; ')}` : ''}`).join('; and by ');
  return `Filtered out by ${which}${later}.`;
}
