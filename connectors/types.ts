import type { Dispatcher } from 'undici';
import type { z } from 'zod';

/** What is sent and what came back, recorded as one attempt. */
export type AttemptRecord = {
  request: { method: string; url: string; headers: Record<string, string>; body?: string };
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
  | 'CONFIG'
  /** The vendor refused our credentials or the target is not shared with us. */
  | 'AUTH'
  /** The event could not be turned into what the destination takes (mapping, missing field). */
  | 'PAYLOAD'
  /** The destination's layout no longer matches its config (a renamed sheet column…). */
  | 'SCHEMA_DRIFT'
  /** The connection's transformation threw, timed out or returned something unusable: nothing was sent. */
  | 'TRANSFORMATION_FAILED';

export type DeliveryResult = AttemptRecord & {
  /** The vendor's id for the record written (a CRM contact, a sheet range): stored with the attempt. */
  recordId?: string;
  /** Something the destination's owner should fix, shown on the destination; null clears an earlier one. */
  warning?: string | null;
} & (
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
        /** The receiver said it is gone for good (410): the connector's `onGone` decides what happens. */
        gone?: boolean;
      }
  );

export type OutboundMessage = {
  /** Stable across retries: receivers de-duplicate on it (the published event's id when there is one). */
  eventId: string;
  /** The published event's type; absent for raw inbound requests. */
  eventType?: string;
  /** Unix seconds of this attempt. */
  timestamp: number;
  /** Exactly the bytes to send to an HTTP receiver. */
  body: Buffer;
  contentType: string | null;
  /** The body parsed as JSON (the envelope plus mapped fields), or undefined when it is not JSON. */
  payload: unknown;
  signingSecret: string;
  /** The record a previous attempt for the same event created (connectors with `tracksRecords`). */
  previousRecordId?: string;
  /**
   * What the connection's transformation changed besides the body: headers to add (the connector's
   * own headers win), a path to append to the URL and query parameters to set. HTTP connectors apply it.
   */
  forward?: { headers: Record<string, string>; path?: string; query?: Record<string, unknown> };
};

export type DeliveryContext = {
  dispatcher: Dispatcher;
  allowPrivateDestinations: boolean;
  /** Private host:port pairs the operator allows anyway (WIREHUB_ALLOWED_PRIVATE_HOSTS), as `hostKey` writes them. */
  allowedPrivateHosts?: readonly string[];
  userAgent: string;
  /** The destination delivered to, when the hub delivers (connector unit tests may leave it out). */
  destination?: { id: string; workspaceId: string };
  /**
   * The operator's OAuth client for "Sign in with Google" (GOOGLE_OAUTH_CLIENT_ID/SECRET): Google
   * Sheets destinations that write as a signed-in Google account refresh its token with it.
   */
  googleOAuth?: { clientId: string; clientSecret: string; tokenUrl: string };
  /** Where the built-in MOCK_API receiver keeps what it receives (the hub's database). */
  mockApi?: MockApiRecorder;
};

/** One request as the built-in MOCK_API receiver got it: what an HTTP receiver would have seen. */
export type MockApiReceived = {
  destinationId: string;
  workspaceId: string;
  eventId: string;
  method: string;
  path: string;
  query: string;
  headers: Record<string, string>;
  body: Buffer;
  responseStatus: number;
};

export type MockApiRecorder = {
  /** Stores the request; resolves with the id it is listed under. */
  record(received: MockApiReceived): Promise<{ id: string }>;
};

/** A credential a delivery carries: `field` is the top-level config key that, given anew, replaces it. */
export type SentCredential = { field: string; what: string };

export type ConnectionTest = {
  ok: boolean;
  /** One sentence a non-developer can act on. */
  message: string;
  warnings: string[];
  details?: Record<string, unknown>;
};

export interface Connector<C extends z.ZodType> {
  /** Stable, never renamed: stored in destinations.type. */
  id: string;
  displayName: string;
  configSchema: C;
  /** Top-level config keys holding credentials: stored encrypted, masked in every response. */
  secretFields: readonly string[];
  /**
   * Secret fields never shown, not even to an owner asking for include=config.auth: tokens the hub
   * obtained itself (a Google refresh token), which nobody ever had to paste.
   */
  hiddenFields?: readonly string[];
  /** What a 410 Gone means: disable the destination (default) or remove it (a REST-hook subscription). */
  onGone?: 'disable' | 'remove';
  /** The connector wants `previousRecordId`, so that a replay updates what the first delivery created. */
  tracksRecords?: boolean;
  /** Every address the connector will contact, by config path, so private ones can be refused on save. */
  targetUrls(config: z.output<C>): { path: string; url: string | undefined }[];
  /**
   * The stored credentials this config carries to its `targetUrls` in clear (or as a token made
   * from them), each a top-level config key and what to call it. Left out: every secret field that
   * is set. A signing key that only signs is left out too: its signature reveals nothing.
   */
  sentCredentials?(config: z.output<C>): SentCredential[];
  /** Non-secret facts about the credentials worth showing (the e-mail to share a sheet with). */
  describe?(config: z.output<C>, destination?: { id: string }): Record<string, unknown>;
  deliver(ctx: DeliveryContext, config: z.output<C>, message: OutboundMessage): Promise<DeliveryResult>;
  /** Checks credentials and target without writing anything the user would have to clean up. */
  testConnection(ctx: DeliveryContext, config: z.output<C>): Promise<ConnectionTest>;
}
