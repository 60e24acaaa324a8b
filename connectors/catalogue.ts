import { crmNode } from './crm-relay/node.ts';
import { sheetsNode } from './google-sheets/node.ts';
import { webhookNode } from './http-webhook/node.ts';
import type { ConnectorNode } from './node.ts';
import { slackNode } from './slack/node.ts';
import { zapierNode } from './zapier/node.ts';

/**
 * The flow nodes the connectors offer, in palette order: the browser-safe entry the portal imports
 * (zod only). Each is the browser's half of its folder's manifest; connectors/index.ts lists the
 * whole manifests for the server, and test/connectors/manifests.test.ts keeps the two lists in step.
 */
export const CONNECTOR_NODES = [webhookNode, sheetsNode, crmNode, zapierNode, slackNode] as const;

export type ConnectorNodeKind = (typeof CONNECTOR_NODES)[number]['kind'];
type KindsOf<T extends readonly { kind: string }[]> = { -readonly [I in keyof T]: T[I]['kind'] };
export const CONNECTOR_NODE_KINDS = CONNECTOR_NODES.map((n) => n.kind) as KindsOf<typeof CONNECTOR_NODES>;

const BY_KIND = new Map<string, ConnectorNode>(CONNECTOR_NODES.map((n) => [n.kind, n as unknown as ConnectorNode]));

/** The node a connector offers under `kind`; own entries only, so `constructor` finds nothing. */
export const connectorNode = (kind: unknown): ConnectorNode | undefined => (typeof kind === 'string' ? BY_KIND.get(kind) : undefined);
export const isConnectorNodeKind = (kind: unknown): kind is ConnectorNodeKind => typeof kind === 'string' && BY_KIND.has(kind);

export { crmNode, sheetsNode, slackNode, webhookNode, zapierNode };
export type { ConnectorNode, DestinationField, DestinationFields, FormField } from './node.ts';
