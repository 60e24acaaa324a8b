import { z } from 'zod';
import { httpConnector } from '../../connectors/http-webhook/index.ts';
import { notFound } from '../core/errors.ts';
import type { Deps } from '../deps.ts';
import { destinationConfig } from '../gateway/destinations.service.ts';
import type { Rule } from '../gateway/rules.ts';
import { APPLICATION_SOURCE_TYPE } from '../publish/application-source.ts';
import type { EventTypesService } from '../publish/event-types.service.ts';
import { flowIndex, flowOfConnection, type FlowEntry, type Ref } from './flow-index.ts';
import { eventsOf } from '../publish/webhooks.service.ts';

/**
 * "Where is this used?" for every object a user can open: one answer per object kind, from one
 * index of the workspace built with two queries (its flows' graphs, its connections with both
 * ends), so a list page asks once for all its rows. Every read is scoped to the workspace.
 */

export const UsedByKind = z.enum(['source', 'destination', 'connection', 'transformation', 'event_type', 'secret']);
export type UsedByKindT = z.output<typeof UsedByKind>;
export const UsedByQuery = z.object({ kind: UsedByKind }).strict();

/** The project secrets by name: they have no id of their own. */
export const SecretName = z.enum(['api_key', 'signing_secret']);

export type { Ref };

/** What uses one object. Lists a kind cannot have stay empty; `flows` name the flows that draw it. */
export type UsedByOut = { kind: UsedByKindT; id: string; flows: Ref[]; webhooks: Ref[]; connections: Ref[]; sources: Ref[]; destinations: Ref[] };

/** Both destination type names of a plain webhook (seed 002's `HTTP` is an alias). */
export const WEBHOOK_TYPES = [httpConnector.id, 'HTTP'];

type ConnEntry = Ref & { source: Ref & { type: string }; destination: Ref & { type: string }; rules: Rule[] };

const ref = (r: Ref): Ref => ({ id: r.id, name: r.name, ...(r.flow_id ? { flow_id: r.flow_id } : {}) });
const byName = (a: Ref, b: Ref) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id);
const unique = (refs: Ref[]) => [...new Map(refs.map((r) => [r.id, ref(r)])).values()].sort(byName);

export function usedByService(deps: Deps, eventTypes: EventTypesService) {
  const { db } = deps;

  async function connectionIndex(ws: string): Promise<ConnEntry[]> {
    const rows = await db
      .selectFrom('connections as c')
      .innerJoin('sources as s', 's.id', 'c.source_id')
      .innerJoin('destinations as d', 'd.id', 'c.destination_id')
      .select([
        'c.id',
        'c.name',
        'c.rules',
        's.id as source_id',
        's.name as source_name',
        's.type as source_type',
        'd.id as destination_id',
        'd.name as destination_name',
        'd.type as destination_type',
      ])
      .where('c.workspace_id', '=', ws)
      .orderBy('c.id')
      .execute();
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      rules: r.rules as Rule[],
      source: { id: r.source_id, name: r.source_name, type: r.source_type },
      destination: { id: r.destination_id, name: r.destination_name, type: r.destination_type },
    }));
  }

  /** The destinations that sign with the workspace's signing secret: webhooks with no secret of their own. */
  async function unsignedByOwnSecret(ws: string): Promise<Set<string>> {
    const rows = await db
      .selectFrom('destinations')
      .select(['id', 'config', 'auth_enc'])
      .where('workspace_id', '=', ws)
      .where('type', 'in', WEBHOOK_TYPES)
      .execute();
    return new Set(rows.filter((r) => !destinationConfig(deps, r).secret).map((r) => r.id));
  }

  /** Fails with 404 when the object is not the workspace's, as reading it would. */
  async function exists(ws: string, kind: UsedByKindT, id: string): Promise<void> {
    const table = { source: 'sources', destination: 'destinations', connection: 'connections', transformation: 'transformations' } as const;
    const what = {
      source: 'Source',
      destination: 'Destination',
      connection: 'Connection',
      transformation: 'Transformation',
      event_type: 'Event type',
      secret: 'Project secret',
    }[kind];
    if (kind === 'event_type') {
      await eventTypes.get(ws, id);
      return;
    }
    if (kind === 'secret') {
      if (!SecretName.safeParse(id).success) throw notFound(what, id);
      return;
    }
    const row = await db.selectFrom(table[kind]).select('id').where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound(what, id);
  }

  /** Every object of `kind` used by something, each with its users; `only` narrows it to one id. */
  async function compute(ws: string, kind: UsedByKindT, only?: string): Promise<UsedByOut[]> {
    const [flows, conns] = await Promise.all([flowIndex(deps, ws), connectionIndex(ws)]);
    const inFlow = flowOfConnection(flows);
    const isWebhook = (c: ConnEntry) =>
      WEBHOOK_TYPES.includes(c.destination.type) && (c.source.type === APPLICATION_SOURCE_TYPE || flows.some((f) => f.webhookNodes.has(c.id)));
    const flowById = new Map(flows.map((f) => [f.id, f]));
    const drawnRef = (c: ConnEntry): Ref => ({ id: c.id, name: c.name, flow_id: inFlow.get(c.id)?.id });
    const flowsOfConns = (cs: ConnEntry[]) => cs.flatMap((c) => (inFlow.has(c.id) ? [flowById.get(inFlow.get(c.id)?.id as string) as FlowEntry] : []));

    const out = new Map<string, { flows: Ref[]; webhooks: Ref[]; connections: Ref[]; sources: Ref[]; destinations: Ref[] }>();
    const entry = (id: string) => {
      let e = out.get(id);
      if (!e) out.set(id, (e = { flows: [], webhooks: [], connections: [], sources: [], destinations: [] }));
      return e;
    };
    /** Records that the connections `cs` (and the flows drawn over them, and `extraFlows`) use the object `id`. */
    const used = (id: string, cs: ConnEntry[], extraFlows: FlowEntry[] = []) => {
      if (only !== undefined && id !== only) return;
      const e = entry(id);
      e.connections.push(...cs.map(drawnRef));
      e.webhooks.push(...cs.filter(isWebhook).map(drawnRef));
      e.flows.push(...flowsOfConns(cs), ...extraFlows);
    };
    const group = <K>(key: (c: ConnEntry) => K[]) => {
      const m = new Map<K, ConnEntry[]>();
      for (const c of conns) for (const k of key(c)) m.set(k, [...(m.get(k) ?? []), c]);
      return m;
    };

    switch (kind) {
      case 'source': {
        const bySource = group((c) => [c.source.id]);
        const ids = new Set([...bySource.keys(), ...flows.flatMap((f) => [...f.sources])]);
        for (const id of ids)
          used(
            id,
            bySource.get(id) ?? [],
            flows.filter((f) => f.sources.has(id)),
          );
        break;
      }
      case 'destination': {
        const byDest = group((c) => [c.destination.id]);
        const ids = new Set([...byDest.keys(), ...flows.flatMap((f) => [...f.destinations])]);
        for (const id of ids)
          used(
            id,
            byDest.get(id) ?? [],
            flows.filter((f) => f.destinations.has(id)),
          );
        break;
      }
      case 'connection':
        for (const c of conns) {
          if (only !== undefined && c.id !== only) continue;
          const e = entry(c.id);
          e.flows.push(...flowsOfConns([c]));
          e.sources.push(c.source);
          e.destinations.push(c.destination);
        }
        break;
      case 'transformation': {
        const ids = (c: ConnEntry) => c.rules.flatMap((r) => (r.type === 'transformation' && r.transformation_id ? [r.transformation_id] : []));
        for (const [id, cs] of group(ids)) used(id, cs);
        break;
      }
      case 'event_type': {
        // A connection subscribes through its filter on eventType (webhooks, and a flow's vendor steps).
        const byEvent = group((c) => (c.source.type === APPLICATION_SOURCE_TYPE ? eventsOf(c.rules) : []));
        const ids = new Set([...byEvent.keys(), ...flows.flatMap((f) => [...f.events])]);
        for (const id of ids)
          used(
            id,
            byEvent.get(id) ?? [],
            flows.filter((f) => f.events.has(id)),
          );
        break;
      }
      case 'secret': {
        if (only === undefined || only === 'signing_secret') {
          const signed = await unsignedByOwnSecret(ws);
          const cs = conns.filter((c) => signed.has(c.destination.id));
          used('signing_secret', cs);
          const e = entry('signing_secret');
          const names = await (signed.size
            ? db
                .selectFrom('destinations')
                .select(['id', 'name'])
                .where('workspace_id', '=', ws)
                .where('id', 'in', [...signed])
                .execute()
            : Promise.resolve([]));
          e.destinations.push(...names);
        }
        if (only === undefined || only === 'api_key') {
          // Published events arrive with the project key: the built-in source and every flow triggered by an event type.
          const app = await db
            .selectFrom('sources')
            .select(['id', 'name'])
            .where('workspace_id', '=', ws)
            .where('type', '=', APPLICATION_SOURCE_TYPE)
            .execute();
          used(
            'api_key',
            [],
            flows.filter((f) => f.events.size > 0),
          );
          entry('api_key').sources.push(...app);
        }
        break;
      }
    }
    return [...out].map(([id, e]) => ({
      kind,
      id,
      flows: unique(e.flows),
      webhooks: unique(e.webhooks),
      connections: unique(e.connections),
      sources: unique(e.sources),
      destinations: unique(e.destinations),
    }));
  }

  const empty = (kind: UsedByKindT, id: string): UsedByOut => ({ kind, id, flows: [], webhooks: [], connections: [], sources: [], destinations: [] });

  return {
    /** Every object of a kind that something uses; an object left out is used by nothing. */
    async list(ws: string, kind: UsedByKindT): Promise<{ kind: UsedByKindT; models: UsedByOut[]; count: number }> {
      const models = await compute(ws, kind);
      return { kind, models, count: models.length };
    },
    async get(ws: string, kind: UsedByKindT, id: string): Promise<UsedByOut> {
      await exists(ws, kind, id);
      return (await compute(ws, kind, id))[0] ?? empty(kind, id);
    },
  };
}
