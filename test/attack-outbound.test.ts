// Issue 12, outbound requests: a tenant who controls a receiver or a "vendor" URL tries to make the
// hub fetch what only the hub can reach — cloud metadata at 169.254.169.254, or a service on the
// hub's own loopback that serves a secret — and read the answer back from the attempt log. The
// vendors are local servers; the hub under attack runs with private destinations OFF and only the
// attacker's "vendor" host:port allowed (WIREHUB_ALLOWED_PRIVATE_HOSTS), as an operator with an
// internal CRM would run it. The secret service is not on that list.
import { randomBytes } from 'node:crypto';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GoogleSigningKeys } from '../server/auth/google-keys.ts';
import { llmReply } from '../server/chat/llm.ts';
import { loadConfig } from '../server/config.ts';
import { createLogger } from '../server/core/logger.ts';
import { createDispatcher } from '../server/delivery/dispatcher.ts';
import { startFakeGoogleSheets, type FakeGoogleSheets } from './support/fakes/google-sheets.ts';
import { newWorkspace, startTestHub, waitFor, type TestHub } from './support/hub.ts';
import { startReceiver } from './support/receiver.ts';

const V = '/api/v1';
const METADATA = 'http://169.254.169.254/latest/meta-data/iam/security-credentials/';
const MARKER = `SECRET-${randomBytes(8).toString('hex')}`;
const LEAD = { name: 'Jane Smith', email: 'jane@example.com', phone: '+15555550123', chatbot_name: 'Acme Plumbing Bot', intent: 'request_quote' };

type Receiver = Awaited<ReturnType<typeof startReceiver>>;
type AttemptOut = { status: string; response: { status: number; body: string } | null; error: { code: string; message: string } | null };

let secret: Receiver;
/** The attacker's servers: every path answers 302, to the secret service or to the metadata service. */
let evil: Receiver;
let evilMeta: Receiver;
let google: FakeGoogleSheets;
let hub: TestHub;
let open: TestHub;

const port = (url: string) => new URL(url).port;

beforeAll(async () => {
  secret = await startReceiver(() => ({
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ AccessKeyId: MARKER, Token: MARKER }),
  }));
  evil = await startReceiver(() => ({ status: 302, headers: { location: `${secret.url}/secret` }, body: 'moved' }));
  evilMeta = await startReceiver(() => ({ status: 302, headers: { location: METADATA }, body: 'moved' }));
  google = await startFakeGoogleSheets({ sheets: ['Leads'] });
  [hub, open] = await Promise.all([
    startTestHub(
      { retrySchedule: [] },
      {
        WIREHUB_ALLOW_PRIVATE_DESTINATIONS: 'false',
        WIREHUB_ALLOWED_PRIVATE_HOSTS: `127.0.0.1:${port(evil.url)}, 127.0.0.1:${port(evilMeta.url)},127.0.0.1:${port(google.url)}`,
      },
    ),
    // Private destinations allowed (a developer's hub): redirects must still not be followed.
    startTestHub({ retrySchedule: [] }),
  ]);
}, 60_000);
afterAll(async () => {
  await Promise.all([hub?.close(), open?.close(), secret?.close(), evil?.close(), evilMeta?.close(), google?.close()]);
});

/** A tenant on `on`, publishing leads into connections to the destinations it makes. */
async function tenant(on: TestHub) {
  const ws = await newWorkspace(on);
  const api = (method: 'get' | 'post', path: string) => on.api(method, `${V}${path}`, ws.key);
  let sourceId: string | undefined;

  async function destination(type: string, config: Record<string, unknown>): Promise<string> {
    const res = await api('post', '/destinations').send({ name: `${type}-${randomBytes(3).toString('hex')}`, type, config });
    expect(res.status, res.text).toBe(201);
    return res.body.id as string;
  }

  /** Publishes a lead into a fresh connection to the destination and returns its settled attempt. */
  async function deliver(destinationId: string): Promise<AttemptOut> {
    if (!sourceId) {
      await api('post', '/publish')
        .send({ eventType: 'conversation.started', data: { started_at: '2026-05-03T14:19:55Z', channel: 'web' } })
        .expect(202);
      sourceId = (await api('get', '/sources?name=application')).body.models[0].id as string;
    }
    const conn = await api('post', '/connections').send({ name: `c-${randomBytes(3).toString('hex')}`, source_id: sourceId, destination_id: destinationId });
    expect(conn.status, conn.text).toBe(201);
    await api('post', '/publish').send({ eventType: 'lead.captured', data: LEAD }).expect(202);
    const ev = await waitFor(
      async () => {
        const models = (await api('get', `/events?connection_id=${conn.body.id}`)).body.models as { id: string; status: string }[];
        return models.find((e) => e.status === 'FAILED' || e.status === 'SUCCESSFUL');
      },
      15_000,
      'the lead to settle',
    );
    const [attempt] = (await api('get', `/attempts?event_id=${ev.id}`)).body.models as AttemptOut[];
    return attempt;
  }

  return { ws, api, destination, deliver };
}

/** What the team can read back must not hold the secret, and the secret service must never have been asked. */
function expectNothingFetched(readable: unknown) {
  expect(JSON.stringify(readable)).not.toContain(MARKER);
  expect(secret.received).toHaveLength(0);
}

describe('a 302 from a tenant-controlled URL is recorded as a refusal, never followed', () => {
  let me: Awaited<ReturnType<typeof tenant>>;
  beforeAll(async () => {
    me = await tenant(hub);
  });

  /** A sheet whose service-account key sends Google's token request to a server answering 302 → the secret. */
  const sheetWithRedirectingTokenUri = () => ({
    credentials: google.serviceAccountKey({ token_uri: `${evil.url}/token` }),
    spreadsheetId: google.spreadsheetId,
    sheetName: 'Leads',
    columns: ['name', 'email'],
    api_root_url: google.url,
  });

  it('Google Sheets: a token_uri that redirects to the secret service', async () => {
    const id = await me.destination('google-sheets', sheetWithRedirectingTokenUri());
    const attempt = await me.deliver(id);
    expect(attempt.status).toBe('FAILED');
    expect(attempt.error?.code).toBe('HTTP_STATUS');
    expect(attempt.error?.message).toContain(`redirect (302) to ${secret.url}/secret not followed`);
    const test = await me.api('post', `/destinations/${id}/test`).expect(200);
    expect(test.body.ok).toBe(false);
    expectNothingFetched([attempt, test.body]);
  });

  it('Google Sheets: an api_root_url that redirects to cloud metadata (the token itself is fine)', async () => {
    const id = await me.destination('google-sheets', {
      credentials: google.serviceAccountKey(),
      spreadsheetId: google.spreadsheetId,
      sheetName: 'Leads',
      columns: ['name', 'email'],
      api_root_url: `${evilMeta.url}/`,
    });
    const attempt = await me.deliver(id);
    expect(attempt.status).toBe('FAILED');
    expect(attempt.error?.message).toContain(`redirect (302) to ${METADATA} not followed`);
    const test = await me.api('post', `/destinations/${id}/test`).expect(200);
    expect(test.body).toMatchObject({ ok: false });
    expect(test.body.message).toContain('not followed');
    expectNothingFetched([attempt, test.body]);
  });

  it('HTTP webhook: the delivery and the webhook test delivery', async () => {
    const attempt = await me.deliver(await me.destination('http-webhook', { url: `${evil.url}/hook` }));
    expect(attempt.status).toBe('FAILED');
    expect(attempt.response?.status).toBe(302);
    expect(attempt.error?.message).toBe(`redirect (302) to ${secret.url}/secret not followed`);

    const hook = await me.api('post', '/webhooks').send({ name: 'leads', url: `${evilMeta.url}/hook`, events: ['lead.captured'] });
    expect(hook.status, hook.text).toBe(201);
    const test = await me.api('post', `/webhooks/${hook.body.id}/test`).send({ eventType: 'lead.captured' });
    expect(test.status, test.text).toBe(200);
    expect(test.body).toMatchObject({ ok: false, status: 302, error: `redirect (302) to ${METADATA} not followed` });
    expectNothingFetched([attempt, test.body]);
  });

  it('CRM relay (generic endpoint): the delivery and the connection test', async () => {
    const id = await me.destination('crm-relay', { preset: 'generic', url: `${evil.url}/crm` });
    const attempt = await me.deliver(id);
    expect(attempt.status).toBe('FAILED');
    expect(attempt.response?.status).toBe(302);
    const test = await me.api('post', `/destinations/${id}/test`).expect(200);
    expectNothingFetched([attempt, test.body]);
  });

  it('Zapier subscription', async () => {
    const attempt = await me.deliver(await me.destination('zapier', { url: `${evil.url}/hooks/standard/1/abc/`, event: 'lead.captured' }));
    expect(attempt.status).toBe('FAILED');
    expect(attempt.error?.message).toBe(`redirect (302) to ${secret.url}/secret not followed`);
    expectNothingFetched(attempt);
  });

  it('even with private destinations allowed, a Sheets redirect to the loopback secret is not followed', async () => {
    const dev = await tenant(open);
    const id = await dev.destination('google-sheets', sheetWithRedirectingTokenUri());
    const attempt = await dev.deliver(id);
    expect(attempt.status).toBe('FAILED');
    const test = await dev.api('post', `/destinations/${id}/test`).expect(200);
    expectNothingFetched([attempt, test.body]);
  });
});

describe('private addresses in any spelling are refused on save and at connect time', () => {
  const s = () => port(secret.url);
  const spellings = () => [
    `http://[::127.0.0.1]:${s()}/`,
    `http://[::ffff:127.0.0.1]:${s()}/`,
    `http://[::ffff:0:7f00:1]:${s()}/`,
    'http://[64:ff9b::a9fe:a9fe]/latest/meta-data/',
    'http://[2002:a9fe:a9fe::1]/latest/meta-data/',
    `http://2130706433:${s()}/`,
    `http://0x7f.1:${s()}/`,
    `http://0177.0.0.1:${s()}/`,
    `http://0.0.0.0:${s()}/`,
    `http://0:${s()}/`,
    'http://2852039166/latest/meta-data/',
    `http://localhost.:${s()}/`,
  ];

  it('saving a webhook or a Sheets token_uri on any of them answers 422 PRIVATE_DESTINATION', async () => {
    const me = await tenant(hub);
    for (const url of spellings()) {
      const res = await me.api('post', '/destinations').send({ name: 'x', type: 'http-webhook', config: { url } });
      expect([url, res.status, res.body.error?.code]).toEqual([url, 422, 'PRIVATE_DESTINATION']);
      expect(res.body.error.details).toEqual([{ path: 'config.url', message: 'must be a public address' }]);
    }
    const sheet = await me.api('post', '/destinations').send({
      name: 's',
      type: 'google-sheets',
      config: {
        credentials: google.serviceAccountKey({ token_uri: `http://[::127.0.0.1]:${s()}/token` }),
        spreadsheetId: google.spreadsheetId,
        sheetName: 'Leads',
        columns: ['name'],
        api_root_url: google.url,
      },
    });
    expect(sheet.status).toBe(422);
    expect(sheet.body.error.details).toEqual([{ path: 'config.credentials.token_uri', message: 'must be a public address' }]);
    expect(secret.received).toHaveLength(0);
  });

  it('the allowed vendor is allowed in any spelling of its own address, and nothing else on that host', async () => {
    const me = await tenant(hub);
    const same = await me.api('post', '/destinations').send({ name: 'ok', type: 'http-webhook', config: { url: `http://0x7f.1:${port(evil.url)}/x` } });
    expect(same.status, same.text).toBe(201);
    const other = await me.api('post', '/destinations').send({ name: 'no', type: 'http-webhook', config: { url: `http://127.0.0.1:${s()}/` } });
    expect(other.status).toBe(422);
  });

  it("the hub's dispatcher itself refuses them when it connects (a URL that skipped the save-time check, a name resolving to loopback)", async () => {
    const dispatcher = createDispatcher({ allowPrivateDestinations: false, allowedPrivateHosts: [`127.0.0.1:${port(evil.url)}`] }, 2);
    try {
      for (const url of [...spellings().filter((u) => u.includes(`:${s()}/`) && !u.includes('localhost')), `http://localhost:${s()}/`]) {
        const err = await request(url, { dispatcher, headersTimeout: 2000 }).then(
          () => null,
          (e: NodeJS.ErrnoException) => e,
        );
        expect([url, err?.code]).toEqual([url, 'EPRIVATEADDRESS']);
      }
      expect(secret.received).toHaveLength(0);
      // The operator's allowed host:port still connects.
      const allowed = await request(`${evil.url}/hello`, { dispatcher });
      expect(allowed.statusCode).toBe(302);
      await allowed.body.dump();
    } finally {
      await dispatcher.close();
    }
  });
});

describe("operator-configured URLs (Google's signing keys, the LLM) are fetched without following redirects", () => {
  it('a certs URL that answers 302 to the secret service gives 503, not keys read from there', async () => {
    const keys = new GoogleSigningKeys(`${evil.url}/oauth2/v1/certs`, createLogger('silent'));
    await expect(keys.lookup('kid')).rejects.toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
    expect(secret.received).toHaveLength(0);
  });

  it('an LLM base URL that answers 302 gets no reply written from what it pointed at (the knowledge base answers instead)', async () => {
    const reply = await llmReply({ baseUrl: evil.url, apiKey: 'sk-test', model: 'm' }, createLogger('silent'), {
      chatbotName: 'Bot',
      message: 'hi',
      entries: [],
    });
    expect(reply).toBeNull();
    expect(evil.received.some((r) => r.url === '/chat/completions')).toBe(true);
    expect(secret.received).toHaveLength(0);
  });
});

describe('WIREHUB_ALLOWED_PRIVATE_HOSTS', () => {
  it('takes host:port pairs, spelled as the URL parser spells them, and refuses anything else at start-up', () => {
    const c = loadConfig({ WIREHUB_ALLOWED_PRIVATE_HOSTS: 'crm.corp.internal:443, 0x7f.1:8080,[FD00::5]:80' });
    expect(c.allowedPrivateHosts).toEqual(['crm.corp.internal:443', '127.0.0.1:8080', '[fd00::5]:80']);
    expect(loadConfig({}).allowedPrivateHosts).toEqual([]);
    for (const bad of ['10.0.0.5', 'http://10.0.0.5:80', '10.0.0.5:0', '10.0.0.5:99999', 'a:b:c']) {
      expect(() => loadConfig({ WIREHUB_ALLOWED_PRIVATE_HOSTS: bad }), bad).toThrow(/WIREHUB_ALLOWED_PRIVATE_HOSTS: must be host:port pairs/);
    }
  });
});
