import type { z } from 'zod';
import type { Connector, OutboundMessage } from '../../connectors/types.ts';

/** How the fake vendor should answer the next calls. */
export type VendorMode = 'ok' | 'server-error' | 'rate-limited' | 'auth' | 'not-found';

/** A running fake of one connector's vendor, and a config that points the real client at it. */
export type FakeVendor = {
  config: Record<string, unknown>;
  setMode(mode: VendorMode): void;
  /** Records written at the vendor so far (rows, contacts, deliveries). */
  written(): number;
  close(): Promise<void>;
};

/** What each connector folder provides to the one contract suite (test/connectors/contract.test.ts). */
export type ContractHarness = {
  connector: Connector<z.ZodType>;
  startVendor(): Promise<FakeVendor>;
  /** A message as the engine would hand it over (envelope plus mapped fields in `payload`). */
  message(): OutboundMessage;
};
