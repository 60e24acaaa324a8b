import type { Dispatcher } from 'undici';
import type { z } from 'zod';

/** What is sent and what came back, recorded as one attempt. */
export type AttemptRecord = {
  request: { method: string; url: string; headers: Record<string, string> };
  response?: { status: number; headers: Record<string, string>; body: string };
  durationMs: number;
};

export type ErrorCode =
  | 'TIMEOUT'
  | 'CONNECTION_REFUSED'
  | 'CONNECTION_RESET'
  | 'DNS'
  | 'TLS'
  | 'PRIVATE_ADDRESS'
  | 'NETWORK'
  | 'HTTP_STATUS'
  | 'CONFIG';

export type DeliveryResult = AttemptRecord &
  (
    | { ok: true; status: number }
    | {
        ok: false;
        /** false: retrying cannot help (bad config, 410 Gone…). */
        retryable: boolean;
        status?: number;
        errorCode: ErrorCode;
        error: string;
        /** The receiver asked us to wait (Retry-After). */
        retryAfterMs?: number;
        /** The receiver said it is gone for good (410): disable the destination now. */
        disableDestination?: boolean;
      }
  );

export type OutboundMessage = {
  /** Stable across retries: receivers de-duplicate on it. */
  eventId: string;
  /** Unix seconds of this attempt. */
  timestamp: number;
  body: Buffer;
  contentType: string | null;
  signingSecret: string;
};

export type DeliveryContext = {
  dispatcher: Dispatcher;
  allowPrivateDestinations: boolean;
  userAgent: string;
};

export interface Connector<C extends z.ZodType> {
  /** Stable, never renamed: stored in destinations.type. */
  id: string;
  displayName: string;
  configSchema: C;
  /** Config keys holding credentials: stored encrypted and shown only when asked for. */
  secretFields: readonly string[];
  deliver(ctx: DeliveryContext, config: z.output<C>, message: OutboundMessage): Promise<DeliveryResult>;
}
