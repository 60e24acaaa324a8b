import net from 'node:net';
import { Agent } from 'undici';
import { afterAll, afterEach, beforeEach, describe, expect, test } from 'vitest';
import { z } from 'zod';
import { connectors } from '../../connectors/index.ts';
import { parseRetryAfter } from '../../connectors/shared/http-call.ts';
import type { DeliveryContext, DeliveryResult, OutboundMessage } from '../../connectors/types.ts';
import type { ContractHarness, FakeVendor } from '../support/connector-contract.ts';
import { crmHarness } from '../support/fakes/crm.ts';
import { googleSheetsHarness } from '../support/fakes/google-sheets.ts';
import { httpWebhookHarness } from '../support/fakes/http-webhook.ts';
import { slackHarness } from '../support/fakes/slack.ts';
import { zapierHarness } from '../support/fakes/zapier.ts';

// One contract for every destination type: a connector registered in connectors/index.ts without a
// harness here fails this suite, so no connector skips it.

const harnesses: Record<string, ContractHarness> = {
  'http-webhook': httpWebhookHarness,
  'crm-relay': crmHarness,
  'google-sheets': googleSheetsHarness,
  zapier: zapierHarness,
  slack: slackHarness,
};

type Documented = {
  /** The vendor refused our credentials (401/403): does the connector retry? */
  authRetryable: boolean;
  /** Does testConnection check the credentials, so that a refusal makes it not ok? */
  testsCredentials: boolean;
};
/** What every connector must do unless it documents otherwise below. */
const STRICT: Documented = { authRetryable: false, testsCredentials: true };
const DOCUMENTED: Record<string, Partial<Documented>> = {
  // connectors/shared/http-call.ts: plain webhooks retry every 4xx but 410, since receivers often
  // answer 4xx while they are being deployed; the owner sees the failing attempts and can fix the key.
  'http-webhook': { authRetryable: true },
  // The Zapier connector sends through the same httpCall without final statuses, so a 401 from a
  // hook URL is retried like a webhook's; only 410 (unsubscribed) ends it. Its testConnection is
  // always ok: Zapier's hook URLs take only real events, and Zapier tests the subscription itself.
  zapier: { authRetryable: true, testsCredentials: false },
};

const NETWORK_FAILURES = ['CONNECTION_REFUSED', 'CONNECTION_RESET', 'NETWORK'];
const GARBAGE: Partial<OutboundMessage>[] = [
  { payload: 'not an object', body: Buffer.from('x') },
  { payload: null, body: Buffer.from('null') },
  { payload: [1, 2, 3], body: Buffer.from('[1,2,3]') },
  { payload: undefined, body: Buffer.from([0xff, 0x00, 0xfe]), contentType: 'application/octet-stream', eventType: undefined },
];

test('every registered connector has a contract harness, and every harness a registered connector', () => {
  expect(Object.keys(connectors).filter((id) => !harnesses[id])).toEqual([]);
  expect(Object.keys(harnesses).filter((id) => !connectors[id])).toEqual([]);
  for (const [id, harness] of Object.entries(harnesses)) expect(harness.connector, id).toBe(connectors[id]);
});

/** The keys a config schema has at its top level (every option's, for a union of presets). */
function topLevelKeys(schema: z.ZodType): string[] {
  if (schema instanceof z.ZodObject) return Object.keys(schema.shape);
  if (schema instanceof z.ZodUnion) return [...new Set((schema.options as z.ZodType[]).flatMap(topLevelKeys))];
  throw new Error(`the contract does not know how to read the keys of a ${schema.constructor.name}`);
}

/**
 * The credential values in a config: strings in its secret fields that hold a token, key, secret,
 * password or raw Authorization value (not header names, auth types, e-mails or URLs), plus each
 * secret field that is itself a string.
 */
function credentialValues(config: Record<string, unknown>, secretFields: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (value: unknown, key: string, top: boolean) => {
    if (typeof value === 'string') {
      if (top || /token|secret|password|private_key$|api_key$|^value$/i.test(key)) out.push(value);
    } else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) walk(v, k, false);
    }
  };
  for (const field of secretFields) walk(config[field], field, true);
  return out;
}

/** Each credential as it could appear in a stored record: verbatim, JSON-escaped, and each long line of a PEM. */
function needles(credentials: string[]): string[] {
  return credentials.flatMap((c) => [c, JSON.stringify(c).slice(1, -1), ...c.split('\n').filter((line) => line.length >= 16)]);
}

/** What the hub stores of an attempt: the request sent, and the error message. */
const stored = (r: DeliveryResult) =>
  JSON.stringify({ url: r.request.url, headers: r.request.headers, body: r.request.body ?? null, error: r.ok ? null : r.error });

function failure(result: DeliveryResult) {
  if (result.ok) throw new Error(`expected a failure, got ${result.status}: ${JSON.stringify(result.response?.body)}`);
  return result;
}

/**
 * A TCP relay in front of the fake vendor that counts the bytes sent to it, with the config's URLs
 * pointed at it: "the vendor saw no request" then means not one byte arrived (on a new socket or on
 * one the agent kept alive).
 */
async function countingRelay(config: Record<string, unknown>) {
  const text = JSON.stringify(config);
  const ports = [...new Set([...text.matchAll(/127\.0\.0\.1:(\d+)/g)].map((m) => m[1]))];
  if (ports.length !== 1) throw new Error(`expected the config to name one fake vendor, found ports ${ports.join(', ')}`);
  let bytes = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    socket.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
    });
    const upstream = net.connect(Number(ports[0]), '127.0.0.1');
    for (const s of [socket, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    socket.pipe(upstream).pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    config: JSON.parse(text.replaceAll(`127.0.0.1:${ports[0]}`, `127.0.0.1:${port}`)) as Record<string, unknown>,
    bytesSent: () => bytes,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe.each(Object.keys(connectors))('the %s connector keeps the contract', (id) => {
  const harness = harnesses[id];
  if (!harness) {
    test('has a contract harness', () => {
      expect.fail(`connector ${id} has no harness in test/connectors/contract.test.ts`);
    });
    return;
  }
  const connector = harness.connector;
  const documented: Documented = { ...STRICT, ...DOCUMENTED[id] };
  const dispatcher = new Agent();
  const ctx: DeliveryContext = { dispatcher, allowPrivateDestinations: true, userAgent: 'Wirehub/contract' };
  let vendor: FakeVendor;
  let config: unknown;
  const deliver = (message: OutboundMessage = harness.message(), c: DeliveryContext = ctx, cfg: unknown = config) => connector.deliver(c, cfg, message);

  beforeEach(async () => {
    vendor = await harness.startVendor();
    config = connector.configSchema.parse(vendor.config);
  });
  afterEach(async () => {
    await vendor.close();
  });
  afterAll(async () => {
    await dispatcher.close();
  });

  test('the harness config parses, and every secret field is a top-level key of the config schema', () => {
    expect(connector.configSchema.safeParse(vendor.config).success).toBe(true);
    const keys = topLevelKeys(connector.configSchema);
    expect(connector.secretFields.filter((f) => !keys.includes(f))).toEqual([]);
    expect(connector.id).toBe(id);
  });

  test('ok: a 2xx result, and the vendor holds one more record', async () => {
    const result = await deliver();
    expect(result.ok, JSON.stringify(result.ok ? null : result.error)).toBe(true);
    if (!result.ok) return;
    expect(result.status).toBeGreaterThanOrEqual(200);
    expect(result.status).toBeLessThan(300);
    expect(result.response?.status).toBe(result.status);
    expect(vendor.written()).toBe(1);
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
  });

  test('server-error: a retryable failure with the 5xx status; nothing written', async () => {
    vendor.setMode('server-error');
    const result = failure(await deliver());
    expect(result).toMatchObject({ retryable: true, errorCode: 'HTTP_STATUS' });
    expect(result.status).toBeGreaterThanOrEqual(500);
    expect(result.gone).toBeFalsy();
    expect(vendor.written()).toBe(0);
  });

  test("rate-limited: a retryable 429 that passes on the vendor's Retry-After", async () => {
    vendor.setMode('rate-limited');
    const result = failure(await deliver());
    expect(result).toMatchObject({ retryable: true, status: 429 });
    // Every fake here sends one, so the recorded response must carry it and the result pass it on
    // (a real vendor that sends none leaves the engine's own schedule in charge).
    const retryAfter = result.response?.headers['retry-after'];
    expect(retryAfter, 'the recorded response keeps the Retry-After header').toMatch(/^\d+$/);
    expect(result.retryAfterMs).toBe(parseRetryAfter(retryAfter));
    expect(result.retryAfterMs).toBeGreaterThan(0);
    expect(vendor.written()).toBe(0);
  });

  test(`auth: refused credentials are ${documented.authRetryable ? 'retried (documented above)' : 'a final AUTH failure'}`, async () => {
    vendor.setMode('auth');
    const result = failure(await deliver());
    expect([401, 403]).toContain(result.status);
    expect(result.retryable).toBe(documented.authRetryable);
    if (!documented.authRetryable) expect(result.errorCode).toBe('AUTH');
    expect(result.gone).toBeFalsy();
    expect(vendor.written()).toBe(0);
  });

  test('not-found: a failure that is never taken for 410 Gone; nothing written', async () => {
    vendor.setMode('not-found');
    const result = failure(await deliver());
    expect(result.status).toBe(404);
    expect(result.gone).toBeFalsy();
    expect(vendor.written()).toBe(0);
  });

  test('vendor down: a retryable network failure, not a throw', async () => {
    await vendor.close();
    const result = failure(await deliver());
    expect(result.retryable).toBe(true);
    expect(NETWORK_FAILURES).toContain(result.errorCode);
    expect(result.status).toBeUndefined();
  });

  test('deliver never throws, whatever the payload', async () => {
    for (const garbage of GARBAGE) {
      const message = { ...harness.message(), ...garbage };
      const result = await deliver(message).catch((err: unknown) => {
        throw new Error(`deliver threw on payload ${JSON.stringify(garbage.payload)}: ${String(err)}`);
      });
      expect(result).toMatchObject({
        ok: expect.any(Boolean),
        request: { method: expect.any(String), url: expect.any(String), headers: expect.any(Object) },
        durationMs: expect.any(Number),
      });
      if (!result.ok)
        expect(result, JSON.stringify(garbage.payload)).toMatchObject({
          retryable: expect.any(Boolean),
          errorCode: expect.any(String),
          error: expect.any(String),
        });
    }
  });

  test('the stored attempt never holds a credential, whatever happened', async () => {
    const secrets = credentialValues(vendor.config, connector.secretFields);
    if (connector.secretFields.length > 0) expect(secrets.length, 'the harness config should carry the credentials it declares').toBeGreaterThan(0);
    const results: [string, DeliveryResult][] = [['ok', await deliver()]];
    for (const mode of ['server-error', 'rate-limited', 'auth', 'not-found'] as const) {
      vendor.setMode(mode);
      results.push([mode, await deliver()]);
    }
    vendor.setMode('ok');
    results.push(['garbage', await deliver({ ...harness.message(), payload: 'not an object', body: Buffer.from('x') })]);
    results.push(['private', await deliver(harness.message(), { ...ctx, allowPrivateDestinations: false })]);
    await vendor.close();
    results.push(['down', await deliver()]);
    for (const [what, result] of results) {
      const record = stored(result);
      for (const needle of needles(secrets)) expect(record.includes(needle), `${what}: the attempt holds a credential: ${record}`).toBe(false);
    }
  });

  test(`testConnection: ok against a working vendor${documented.testsCredentials ? ', not ok when the credentials are refused' : ' (and always ok, documented above)'}; nothing written`, async () => {
    const ok = await connector.testConnection(ctx, config);
    expect(ok.ok, ok.message).toBe(true);
    expect(ok.message).toEqual(expect.any(String));
    vendor.setMode('auth');
    const refused = await connector.testConnection(ctx, config);
    expect(refused.ok, refused.message).toBe(!documented.testsCredentials);
    expect(refused.message.length).toBeGreaterThan(0);
    expect(vendor.written()).toBe(0);
  });

  test('allowPrivateDestinations=false: a final refusal before a single byte reaches the loopback vendor', async () => {
    const relay = await countingRelay(vendor.config);
    try {
      const relayed = connector.configSchema.parse(relay.config);
      // The relay works: with private destinations allowed, the delivery goes through it.
      expect((await deliver(harness.message(), ctx, relayed)).ok).toBe(true);
      const before = relay.bytesSent();
      expect(before).toBeGreaterThan(0);
      expect(vendor.written()).toBe(1);

      const strict: DeliveryContext = { ...ctx, allowPrivateDestinations: false };
      const result = failure(await deliver(harness.message(), strict, relayed));
      expect(result.retryable).toBe(false);
      expect(['PRIVATE_ADDRESS', 'CONFIG', 'AUTH']).toContain(result.errorCode);
      expect(relay.bytesSent()).toBe(before);
      expect(vendor.written()).toBe(1);
    } finally {
      await relay.close();
    }
  });
});
