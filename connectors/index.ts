import { httpConnector } from './http/index.ts';
import type { Connector } from './types.ts';
import type { z } from 'zod';

/** Every destination type, by the id stored in destinations.type. */
export const connectors: Record<string, Connector<z.ZodType>> = {
  [httpConnector.id]: httpConnector as unknown as Connector<z.ZodType>,
};
