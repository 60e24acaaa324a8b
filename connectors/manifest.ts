import type { z } from 'zod';
import type { ConnectorNode } from './node.ts';
import type { Connector } from './types.ts';

/**
 * A connector's manifest: everything the hub needs to offer it, in its folder. The connector
 * (config schema, delivery, connection test), the flow node it offers (node.ts, the part the
 * portal bundles), how that node's data becomes the connector's config and back, how a test run
 * previews what it would send, and which workspace credential (Settings) it takes. The flow code,
 * the credentials and the palette read these through connectors/index.ts and connectors/catalogue.ts
 * instead of switching on kinds.
 */

/** Kinds of workspace credential (Settings) a connector may take; server/db/schema.ts stores the same. */
export type WorkspaceCredentialKind = 'google-service-account' | 'google-oauth' | 'hubspot' | 'pipedrive';

/**
 * The credentials a config takes (the first kind is what an error asks for), and the config key
 * each kind's secret goes into; the other kinds' keys are cleared when one is applied.
 */
export type CredentialNeed = { kinds: WorkspaceCredentialKind[]; fields: Partial<Record<WorkspaceCredentialKind, string>> };

/** What the server knows when a node's data becomes a config. */
export type NodeConfigContext = {
  /** The event types feeding the node; a source's id when a source's requests feed it. */
  events: string[];
  /** The fields the map step before it names (`to`), in order. */
  mapped: readonly string[];
  /** The operator's vendor base URLs (WIREHUB_GOOGLE_SHEETS_URL…): never taken from the graph. */
  vendorUrls: Readonly<Record<string, string | undefined>>;
  /** The full config (credentials in) of the destination the node became; null when there is none yet. */
  stored: Readonly<Record<string, unknown>> | null;
};

export type PreviewMessage = { payload: unknown; eventId: string; eventType?: string };
/** What a test run shows for a destination: the body its connector would send, or why it would refuse. */
export type Preview = { ok: boolean; output?: unknown; message?: string };

export type NodeManifest<D extends z.ZodType = z.ZodType> = {
  spec: ConnectorNode<string, D>;
  /** The connector config (before credentials from Settings are filled in) the node's data becomes. */
  toConfig(data: z.output<D>, ctx: NodeConfigContext): Record<string, unknown>;
  /** The node's data as a config edited outside the flow says (the config's plain part: no credentials). */
  fromConfig(config: Record<string, unknown>): Partial<z.output<D>>;
  /** What the node may show of the full config's credentials (a masked form), after a save and a load. */
  publicData?(config: Record<string, unknown>): Partial<z.output<D>>;
};

export type ConnectorManifest = {
  connector: Connector<z.ZodType>;
  /** The flow node it offers; none for a connector used only through an existing destination (MOCK_API). */
  node?: NodeManifest;
  /** The workspace credential a config takes, or null (a generic CRM, a Slack webhook). */
  credential?(config: Record<string, unknown>): CredentialNeed | null;
  /** The body a config would send for a shaped payload; absent: the payload as it is. */
  preview?(config: Record<string, unknown>, message: PreviewMessage): Preview;
};

/** Checks a manifest's parts against each other, then widens it for the registry. */
export function defineManifest<C extends z.ZodType, D extends z.ZodType>(m: {
  connector: Connector<C>;
  node?: NodeManifest<D>;
  credential?(config: Record<string, unknown>): CredentialNeed | null;
  preview?(config: Record<string, unknown>, message: PreviewMessage): Preview;
}): ConnectorManifest {
  if (m.node && m.node.spec.connector !== m.connector.id)
    throw new Error(`the ${m.node.spec.kind} node names connector ${m.node.spec.connector}, not ${m.connector.id}`);
  return m as unknown as ConnectorManifest;
}
