import { z } from 'zod';
import type { AuthContext } from '../auth/auth.middleware.ts';
import type { ConnectionTest } from '../../connectors/types.ts';
import { notFound } from '../core/errors.ts';
import type { Deps } from '../deps.ts';
import { apiDeliveryContext } from '../delivery/deliver-now.ts';
import { CONNECTOR_NODES, connectorNode } from '../../connectors/catalogue.ts';
import { manifestOf } from '../../connectors/index.ts';
import { FREE_FIELDS, type DestinationFields } from '../../connectors/node.ts';
import { DESTINATION_KINDS, FlowNode, isDestinationKind, type DestinationNodeT } from '../../shared/flow-graph.ts';
import { inWords, invalidFlow, testTarget, type CredentialFiller } from './flow-objects.ts';

export const TestConnectionIn = z.object({ node: z.record(z.string(), z.unknown()) }).strict();

/**
 * `kind`, and the parameters that stand for its node's data (a sheet's `columns`, a CRM's `preset`:
 * each connector's node names its own), or an existing destination's `destinationId`.
 */
const NODE_QUERY: Record<string, z.ZodType> = Object.fromEntries(CONNECTOR_NODES.flatMap((n) => Object.entries(n.fieldsQuery?.shape ?? {})));
export const DestinationFieldsQuery = z
  .object({ kind: z.enum(DESTINATION_KINDS), ...NODE_QUERY, destinationId: z.string().min(1).max(64).optional() })
  .strict()
  .superRefine((q, ctx) => {
    const own = connectorNode(q.kind)?.fieldsQuery;
    if (!own) return;
    const parsed = own.safeParse(Object.fromEntries(Object.keys(own.shape).map((k) => [k, (q as Record<string, unknown>)[k]])));
    for (const issue of parsed.success ? [] : parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
  })
  .refine((q) => q.kind !== 'destination' || q.destinationId, { message: 'name the destination (destinationId)', path: ['destinationId'] });
export type DestinationFieldsQueryT = z.output<typeof DestinationFieldsQuery>;

export function flowConnections(deps: Deps, credentials: CredentialFiller) {
  const stored = (ws: string, id: string) =>
    deps.db.selectFrom('destinations').selectAll().where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();

  /** The connector's own test of an unsaved destination node (credentials from Settings); nothing is stored. */
  async function testConnection(ws: string, raw: unknown, caller: AuthContext): Promise<ConnectionTest> {
    const id = typeof (raw as { id?: unknown } | null)?.id === 'string' ? (raw as { id: string }).id : 'node';
    const parsed = FlowNode.safeParse(raw);
    if (!parsed.success)
      throw invalidFlow(
        parsed.error.issues.map((i) => ({ path: ['nodes', id, ...i.path.map(String)].join('.'), message: i.message })),
        'tested',
      );
    const node = parsed.data;
    if (!isDestinationKind(node.kind)) throw invalidFlow([{ path: `nodes.${id}.kind`, message: 'only a destination has a connection to test' }], 'tested');
    // Zapier checks nothing of the event type; any name satisfies its config.
    const target = await testTarget(deps, credentials, caller, ws, node as DestinationNodeT, { events: ['sample'], mapped: [] });
    const result = await target.connector.testConnection(apiDeliveryContext(deps), target.connector.configSchema.parse(target.config));
    return { ok: result.ok, message: result.message, warnings: result.warnings, ...(result.details ? { details: result.details } : {}) };
  }

  return {
    /** `testConnection`, its 422s worded with the node sent. */
    testConnection: (ws: string, raw: unknown, caller: AuthContext): Promise<ConnectionTest> =>
      testConnection(ws, raw, caller).catch((err: unknown) => {
        throw inWords(err, { nodes: [raw] }, 'tested');
      }),

    /**
     * The fields the map panel offers for a destination, as its connector's node says (a sheet's
     * columns, a CRM preset's contact fields), or free. An existing destination's are those of the
     * node its stored config would draw.
     */
    async destinationFields(ws: string, q: DestinationFieldsQueryT): Promise<DestinationFields> {
      if (q.kind !== 'destination') return connectorNode(q.kind)?.fields?.(q) ?? FREE_FIELDS;
      const row = await stored(ws, q.destinationId as string);
      if (!row) throw notFound('Destination', q.destinationId);
      const node = manifestOf(row.type)?.node;
      return node?.spec.fields?.(node.fromConfig(row.config as Record<string, unknown>) as Record<string, unknown>) ?? FREE_FIELDS;
    },
  };
}
