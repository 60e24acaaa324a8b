import type { z } from 'zod';
import { httpConnector } from '../../../connectors/http-webhook/index.ts';
import type { Connector } from '../../../connectors/types.ts';
import type { ContractHarness, FakeVendor, VendorMode } from '../connector-contract.ts';
import { startReceiver, type Received, type Reply } from '../receiver.ts';
import { leadMessage } from './crm.ts';

/** What the receiver checks on every request: an API-key header and the shared signing secret. */
export const WEBHOOK_KEY_HEADER = 'X-Hook-Key';
export const WEBHOOK_KEY = 'hk_live_7Qm2Vd9XcR4pLs8N';
export const WEBHOOK_SECRET = 'shared-secret-Zt6yWq3Jk';
const PATH = '/inbound/wirehub';

export type FakeWebhookReceiver = FakeVendor & {
  url: string;
  received: Received[];
  /** The bodies the receiver accepted (answered 2xx to a POST). */
  accepted: Buffer[];
};

/**
 * A customer's webhook endpoint (a Make.com or n8n webhook node, a small app): it accepts POSTs that
 * carry its API key and the shared secret, answers HEAD (a reachability probe) with 200, and in the
 * failure modes answers as such endpoints do.
 */
export async function startFakeWebhookReceiver(): Promise<FakeWebhookReceiver> {
  let mode: VendorMode = 'ok';
  const accepted: Buffer[] = [];
  const json = (status: number, body: unknown, headers: Record<string, string> = {}): Reply => ({
    status,
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', ...headers },
  });
  const refused = () => json(401, { error: 'unauthorized', message: 'missing or wrong X-Hook-Key' });
  const receiver = await startReceiver((req) => {
    switch (mode) {
      case 'server-error':
        return json(503, { error: 'service unavailable' });
      case 'rate-limited':
        return json(429, { error: 'too many requests' }, { 'retry-after': '3' });
      case 'auth':
        return refused();
      case 'not-found':
        return json(404, { error: `no webhook at ${req.url}` });
      case 'ok':
        break;
    }
    if (req.url !== PATH) return json(404, { error: `no webhook at ${req.url}` });
    if (req.headers[WEBHOOK_KEY_HEADER.toLowerCase()] !== WEBHOOK_KEY) return refused();
    if (req.method === 'HEAD') return { status: 200 };
    if (req.headers['x-wirehub-signature'] !== WEBHOOK_SECRET) return json(401, { error: 'bad signature' });
    accepted.push(req.body);
    return json(200, { received: true });
  });
  return {
    url: receiver.url,
    received: receiver.received,
    accepted,
    config: {
      url: `${receiver.url}${PATH}`,
      auth: { type: 'api_key', header_key: WEBHOOK_KEY_HEADER, api_key: WEBHOOK_KEY },
      // Sent as a plain header (seed 004's no-code receivers), so it must never be stored as sent.
      signing: 'shared-secret',
      secret: WEBHOOK_SECRET,
      headers: { 'x-tenant': 'acme-plumbing' },
    },
    setMode: (m) => {
      mode = m;
    },
    written: () => accepted.length,
    close: receiver.close,
  };
}

export const httpWebhookHarness: ContractHarness = {
  connector: httpConnector as unknown as Connector<z.ZodType>,
  startVendor: startFakeWebhookReceiver,
  message: () => leadMessage(),
};
