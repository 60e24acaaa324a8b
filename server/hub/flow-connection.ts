import { z } from 'zod';
import type { AuthContext } from '../auth/auth.middleware.ts';
import type { ConnectionTest } from '../../connectors/types.ts';
import { notFound } from '../core/errors.ts';
import type { Deps } from '../deps.ts';
import { apiDeliveryContext } from '../delivery/deliver-now.ts';
import { connectorOf, destinationConfig } from '../gateway/destinations.service.ts';
import { crmFields, sheetFields, type DestinationFields } from './flow-fields.ts';
import { DESTINATION_KINDS, FlowNode, isDestinationKind, type DestinationNodeT } from './flow-graph.ts';
import { existingDestination, inWords, invalidFlow, testedWebhookTarget, vendorTarget, type Target } from './flow-objects.ts';

export const TestConnectionIn = z.object({ node: z.record(z.string(), z.unknown()) }).strict();

const list = z.preprocess((v) => (typeof v === 'string' ? v.split(',').map((c) => c.trim()).filter(Boolean) : v), z.array(z.string().min(1).max(200)).max(100));
export const DestinationFieldsQuery = z
  .object({
    kind: z.enum(DESTINATION_KINDS),
    preset: z.enum(['hubspot', 'pipedrive', 'generic']).optional(),
    /** A sheet node's columns: `columns=name,email` or repeated `columns=…`. */
    columns: list.optional(),
    destinationId: z.string().min(1).max(64).optional(),
  })
  .strict()
  .refine((q) => q.kind !== 'crm' || q.preset, { message: 'name the CRM preset (hubspot, pipedrive or generic)', path: ['preset'] })
  .refine((q) => q.kind !== 'destination' || q.destinationId, { message: 'name the destination (destinationId)', path: ['destinationId'] });
export type DestinationFieldsQueryT = z.output<typeof DestinationFieldsQuery>;

const FREE: DestinationFields = { fields: [], free: true };

export function flowConnections(deps: Deps) {
  const stored = (ws: string, id: string) => deps.db.selectFrom('destinations').selectAll().where('workspace_id', '=', ws).where('id', '=', id).executeTakeFirst();

  /** The connector's own test of an unsaved destination node (credentials from Settings); nothing is stored. */
  async function testConnection(ws: string, raw: unknown, caller: AuthContext): Promise<ConnectionTest> {
    const id = typeof (raw as { id?: unknown } | null)?.id === 'string' ? (raw as { id: string }).id : 'node';
    const parsed = FlowNode.safeParse(raw);
    if (!parsed.success) throw invalidFlow(parsed.error.issues.map((i) => ({ path: ['nodes', id, ...i.path.map(String)].join('.'), message: i.message })), 'tested');
    const node = parsed.data;
    if (!isDestinationKind(node.kind)) throw invalidFlow([{ path: `nodes.${id}.kind`, message: 'only a destination has a connection to test' }], 'tested');
    const dest = node as DestinationNodeT;
    let target: Target;
    if (dest.kind === 'destination') {
      const row = await existingDestination(deps, ws, dest, 'tested');
      target = { connector: connectorOf(row.type), config: destinationConfig(deps, row) };
    } else if (dest.kind === 'webhook') {
      target = await testedWebhookTarget(deps, caller, ws, dest);
    } else {
      // Zapier checks nothing of the event type; any name satisfies its config.
      target = await vendorTarget(deps, ws, dest, ['sample'], null, 'tested');
    }
    const result = await target.connector.testConnection(apiDeliveryContext(deps), target.connector.configSchema.parse(target.config));
    return { ok: result.ok, message: result.message, warnings: result.warnings, ...(result.details ? { details: result.details } : {}) };
  }

  return {
    /** `testConnection`, its 422s worded with the node sent. */
    testConnection: (ws: string, raw: unknown, caller: AuthContext): Promise<ConnectionTest> =>
      testConnection(ws, raw, caller).catch((err: unknown) => {
        throw inWords(err, { nodes: [raw] }, 'tested');
      }),

    /** The fields the map panel offers for a destination: a sheet's columns, a CRM preset's contact fields, or free. */
    async destinationFields(ws: string, q: DestinationFieldsQueryT): Promise<DestinationFields> {
      switch (q.kind) {
        case 'sheets':
          return sheetFields(q.columns ?? []);
        case 'crm':
          return crmFields(q.preset ?? 'generic');
        case 'destination': {
          const row = await stored(ws, q.destinationId as string);
          if (!row) throw notFound('Destination', q.destinationId);
          const c = row.config as { columns?: string[]; preset?: 'hubspot' | 'pipedrive' | 'generic' };
          if (row.type === 'google-sheets') return sheetFields(c.columns ?? []);
          if (row.type === 'crm-relay') return crmFields(c.preset ?? 'generic');
          return FREE;
        }
        default:
          return FREE;
      }
    },
  };
}
