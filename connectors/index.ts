import type { z } from 'zod';
import { crmRelayManifest } from './crm-relay/manifest.ts';
import { googleSheetsManifest } from './google-sheets/manifest.ts';
import { httpManifest } from './http-webhook/manifest.ts';
import type { ConnectorManifest, NodeManifest } from './manifest.ts';
import { mockApiManifest } from './mock-api/manifest.ts';
import { slackManifest } from './slack/manifest.ts';
import type { Connector } from './types.ts';
import { zapierManifest } from './zapier/manifest.ts';

type AnyConnector = Connector<z.ZodType>;

/**
 * Every destination connector's manifest, one line each: adding a connector is its folder, a line
 * here, its node in connectors/catalogue.ts, and its fake vendor in the contract suite.
 */
export const MANIFESTS: readonly ConnectorManifest[] = [httpManifest, crmRelayManifest, googleSheetsManifest, zapierManifest, slackManifest];

/**
 * Types whose receiver is the hub itself (seed 002's MOCK_API). Kept apart from `connectors`, every
 * one of which must keep the remote-vendor contract (test/connectors/contract.test.ts: network
 * failures, private addresses, a vendor's Retry-After), none of which a built-in receiver has;
 * test/mock-api.test.ts covers it through the hub instead.
 */
const BUILT_IN: readonly ConnectorManifest[] = [mockApiManifest];

const byId = (list: readonly ConnectorManifest[]) => Object.fromEntries(list.map((m) => [m.connector.id, m.connector])) as Record<string, AnyConnector>;

/** Every destination type, by the id stored in destinations.type. */
export const connectors: Record<string, AnyConnector> = byId(MANIFESTS);
export const builtInConnectors: Record<string, AnyConnector> = byId(BUILT_IN);

/** Seed 002 names the webhook destination type `HTTP`; it is the same connector. */
const ALIASES: Record<string, string> = { HTTP: httpManifest.connector.id };

export const connectorTypes = () => [...Object.keys(connectors), ...Object.keys(builtInConnectors), ...Object.keys(ALIASES)];

const MANIFEST_BY_ID = new Map([...MANIFESTS, ...BUILT_IN].map((m) => [m.connector.id, m]));
const NODE_BY_KIND = new Map(MANIFESTS.flatMap((m) => (m.node ? [[m.node.spec.kind, { manifest: m, node: m.node }] as const] : [])));

/** The manifest of a destination type (an alias is its connector's); undefined for a type nobody registered. */
export function manifestOf(type: string): ConnectorManifest | undefined {
  return MANIFEST_BY_ID.get(Object.hasOwn(ALIASES, type) ? ALIASES[type] : type);
}

/** Own properties only: a type such as `constructor` or `__proto__` must not find Object's. */
export function connectorFor(type: string): AnyConnector | undefined {
  return manifestOf(type)?.connector;
}

/** The manifest whose flow node is stored under `kind` (`sheets`, `slack`), with that node. */
export function nodeManifestOf(kind: string): { manifest: ConnectorManifest; node: NodeManifest } | undefined {
  return NODE_BY_KIND.get(kind);
}
