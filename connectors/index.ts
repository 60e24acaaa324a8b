import type { z } from 'zod';
import { crmRelayConnector } from './crm-relay/index.ts';
import { googleSheetsConnector } from './google-sheets/index.ts';
import { httpConnector } from './http-webhook/index.ts';
import { mockApiConnector } from './mock-api/index.ts';
import type { Connector } from './types.ts';
import { zapierConnector } from './zapier/index.ts';

type AnyConnector = Connector<z.ZodType>;
const widen = <C extends z.ZodType>(c: Connector<C>) => c as unknown as AnyConnector;

/** Every destination type, by the id stored in destinations.type. */
export const connectors: Record<string, AnyConnector> = {
  [httpConnector.id]: widen(httpConnector),
  [crmRelayConnector.id]: widen(crmRelayConnector),
  [googleSheetsConnector.id]: widen(googleSheetsConnector),
  [zapierConnector.id]: widen(zapierConnector),
};

/**
 * Types whose receiver is the hub itself (seed 002's MOCK_API). Kept apart from `connectors`, every
 * one of which must keep the remote-vendor contract (test/connectors/contract.test.ts: network
 * failures, private addresses, a vendor's Retry-After), none of which a built-in receiver has;
 * test/mock-api.test.ts covers it through the hub instead.
 */
export const builtInConnectors: Record<string, AnyConnector> = {
  [mockApiConnector.id]: widen(mockApiConnector),
};

/** Seed 002 names the webhook destination type `HTTP`; it is the same connector. */
const ALIASES: Record<string, string> = { HTTP: httpConnector.id };

export const connectorTypes = () => [...Object.keys(connectors), ...Object.keys(builtInConnectors), ...Object.keys(ALIASES)];

/** Own properties only: a type such as `constructor` or `__proto__` must not find Object's. */
export function connectorFor(type: string): AnyConnector | undefined {
  const id = Object.hasOwn(ALIASES, type) ? ALIASES[type] : type;
  if (Object.hasOwn(connectors, id)) return connectors[id];
  return Object.hasOwn(builtInConnectors, id) ? builtInConnectors[id] : undefined;
}
