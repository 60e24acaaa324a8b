import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import type { Connector } from '../../../connectors/types.ts';
import { zapierConnector } from '../../../connectors/zapier/index.ts';
import type { ContractHarness, FakeVendor, VendorMode } from '../connector-contract.ts';
import { startReceiver, type Received, type Reply } from '../receiver.ts';
import { leadMessage } from './crm.ts';

export type FakeZapierHook = FakeVendor & {
  /** The hook URL Zapier hands over when a Zap subscribes. */
  hookUrl: string;
  received: Received[];
  /** The JSON objects Zapier accepted: each starts a Zap run. */
  accepted: Record<string, unknown>[];
  /** Zapier answers 410 from now on: the Zap was turned off, so the subscription must go. */
  unsubscribe(): void;
};

/**
 * Zapier's side of a REST-hook subscription: the hook URL (hooks.zapier.com/hooks/standard/…)
 * takes one JSON object per event and answers like Zapier does. Modes map to what Zapier really
 * answers: an outage is a 503, throttling a 429 with Retry-After, a refused request a 401, and an
 * unknown hook URL a 404. 410 is not a failure mode here: to Zapier it means "unsubscribed" and
 * removes the subscription, so only `unsubscribe()` sends it.
 */
export async function startFakeZapierHook(): Promise<FakeZapierHook> {
  let mode: VendorMode = 'ok';
  let gone = false;
  const accepted: Record<string, unknown>[] = [];
  const hookPath = '/hooks/standard/4812737/1f2e3d4c5b6a/';
  const json = (status: number, body: unknown, headers: Record<string, string> = {}): Reply => ({
    status,
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', ...headers },
  });
  const receiver = await startReceiver((req) => {
    if (gone) return json(410, { status: 'gone', message: 'This hook has been unsubscribed.' });
    switch (mode) {
      case 'server-error':
        return { status: 503, body: '<html><body><h1>503 Service Unavailable</h1></body></html>', headers: { 'content-type': 'text/html' } };
      case 'rate-limited':
        return json(429, { status: 'throttled', message: 'Too many requests to this hook; slow down.' }, { 'retry-after': '5' });
      case 'auth':
        return json(401, { status: 'unauthorized', message: 'Authentication failed for this hook.' });
      case 'not-found':
        return json(404, { status: 'error', message: 'No such hook.' });
      case 'ok':
        break;
    }
    if (req.url !== hookPath) return json(404, { status: 'error', message: 'No such hook.' });
    if (req.method !== 'POST') return json(405, { status: 'error', message: 'Method not allowed.' });
    let body: unknown;
    try {
      body = JSON.parse(req.body.toString('utf8'));
    } catch {
      return json(400, { status: 'error', message: 'The body must be JSON.' });
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return json(400, { status: 'error', message: 'The body must be a JSON object.' });
    accepted.push(body as Record<string, unknown>);
    return json(200, { status: 'success', attempt: randomUUID(), id: randomUUID(), request_id: randomUUID().replace(/-/g, '').slice(0, 16) });
  });
  const hookUrl = `${receiver.url}${hookPath}`;
  return {
    hookUrl,
    received: receiver.received,
    accepted,
    config: { url: hookUrl, event: 'lead.captured' },
    setMode: (m) => {
      mode = m;
    },
    unsubscribe: () => {
      gone = true;
    },
    written: () => accepted.length,
    close: receiver.close,
  };
}

export const zapierHarness: ContractHarness = {
  connector: zapierConnector as unknown as Connector<z.ZodType>,
  startVendor: startFakeZapierHook,
  message: () => leadMessage(),
};
