// Receivers written for the seed products verify Wirehub's deliveries unchanged: each webhook picks
// the signature convention its receiver knows (a preset, or a header and format of its own), and
// each receiver below checks a real delivery (publish → webhook → receiver) the way that product's
// documentation says to, answering 401 when it cannot. The secret a header carries is never read back.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newWorkspace, startTestHub, waitFor, type TestHub } from './support/hub.ts';
import { startReceiver, type Received } from './support/receiver.ts';

const V = '/api/v1';
const lead = { name: 'Jane Smith', email: 'jane@example.com', phone: '+15555550123', chatbot_name: 'Acme Plumbing Bot', intent: 'request_quote' };

const one = (h: IncomingHttpHeaders, name: string): string => {
  const v = h[name.toLowerCase()];
  return Array.isArray(v) ? v.join(', ') : (v ?? '');
};
/** The comparison every seed's receiver is told to make: constant time, and a length mismatch is a mismatch. */
const sameBytes = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/** A receiver's check: true when it trusts the request. `secret` is what its owner pasted from Wirehub. */
type Verify = (r: Received, secret: string) => boolean;

const RECEIVERS: Record<string, Verify> = {
  // seeds/000 (FillCue): "an X-FillCue-Signature header containing an HMAC-SHA256 signature of the request body.
  // Verify this signature against your webhook's signing secret".
  fillcue: (r, secret) => sameBytes(one(r.headers, 'X-FillCue-Signature'), createHmac('sha256', secret).update(r.body).digest('hex')),
  // seeds/003 (FlowMaticX): "we send X-Webhook-Signature with every POST (HMAC-SHA256 of the body + secret)".
  flowmaticx: (r, secret) => sameBytes(one(r.headers, 'X-Webhook-Signature'), createHmac('sha256', secret).update(r.body).digest('hex')),
  // seeds/004 (FusionChatalyst): "Each outbound request carries an X-FC-Signature header with your configured secret.
  // Verify it on receipt", and "X-FC-Event: lead.captured" names the event.
  fusionchatalyst: (r, secret) =>
    sameBytes(one(r.headers, 'X-FC-Signature'), secret) && one(r.headers, 'X-FC-Event') === JSON.parse(r.body.toString()).eventType,
  // seeds/001 (Fluid CRM): "Fluid will include it as `Authorization: YOUR_TOKEN` on every delivery to that endpoint."
  'fluid-crm': (r) => sameBytes(one(r.headers, 'Authorization'), 'fluid-token-7f3a'),
  // GitHub's documented check: "sha256=" + the hex HMAC of the payload, compared in constant time.
  github: (r, secret) => sameBytes(one(r.headers, 'X-Hub-Signature-256'), `sha256=${createHmac('sha256', secret).update(r.body).digest('hex')}`),
  // The Standard Webhooks reference library.
  'standard-webhooks': (r, secret) => {
    try {
      new Webhook(secret).verify(r.body.toString(), {
        'webhook-id': one(r.headers, 'webhook-id'),
        'webhook-timestamp': one(r.headers, 'webhook-timestamp'),
        'webhook-signature': one(r.headers, 'webhook-signature'),
      });
      return true;
    } catch {
      return false;
    }
  },
};

describe('per-webhook signature headers: receivers written for each seed verify real deliveries', () => {
  let hub: TestHub;
  let ws: Awaited<ReturnType<typeof newWorkspace>>;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const logged: string[] = [];
  // What each path's receiver checks with, and whether it trusted each request.
  const verifiers = new Map<string, { verify: Verify; secret: string }>();
  const verdicts: { path: string; ok: boolean; r: Received }[] = [];
  const api = (method: 'get' | 'post' | 'patch' | 'put' | 'delete', path: string) => hub.api(method, `${V}${path}`, ws.key);
  const publish = async (data: object = lead) => {
    const res = await api('post', '/publish').send({ eventType: 'lead.captured', data, customerId: 'cus_a1b2c3' });
    expect(res.status).toBe(202);
    return res.body.eventId as string;
  };
  const deliveredTo = (path: string, eventId: string) =>
    waitFor(() => verdicts.find((v) => v.path === path && one(v.r.headers, 'webhook-id') === eventId), 15_000, `the delivery to ${path}`);
  /** Every webhook gets lead.captured; `path` is the receiver's, `verify` how it checks. */
  const make = async (name: string, path: string, verify: Verify, body: Record<string, unknown>) => {
    const res = await api('post', '/webhooks').send({ name, url: `${receiver.url}${path}`, events: ['lead.captured'], ...body });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    verifiers.set(path, { verify, secret: res.body.secret });
    return res.body as { id: string; secret: string; signature: unknown; signing: string };
  };

  beforeAll(async () => {
    hub = await startTestHub(
      { maxWebhooks: 50 },
      {},
      pino({ level: 'debug' }, new Writable({ write: (chunk, _enc, done) => (logged.push(String(chunk)), done()) })),
    );
    ws = await newWorkspace(hub);
    receiver = await startReceiver((r) => {
      const path = r.url.split('?')[0];
      const v = verifiers.get(path);
      const ok = v ? v.verify(r, v.secret) : false;
      verdicts.push({ path, ok, r });
      return ok ? { status: 200, body: 'verified' } : { status: 401, body: 'signature mismatch' };
    });
  }, 60_000);
  afterAll(async () => {
    await hub?.close();
    await receiver?.close();
  });

  const hooks: Record<string, { id: string; secret: string }> = {};

  it('delivers one published lead to a receiver of each preset, and each receiver verifies it as its documentation says', async () => {
    for (const preset of Object.keys(RECEIVERS)) {
      hooks[preset] = await make(`to-${preset}`, `/${preset}`, RECEIVERS[preset], {
        signature: { preset },
        ...(preset === 'fluid-crm' ? { authorization: 'fluid-token-7f3a' } : {}),
        // seeds/004: the receiver is configured with a secret of one's own choosing.
        ...(preset === 'fusionchatalyst' ? { secret: 'fc-shared-secret-of-mine' } : {}),
      });
    }
    expect(hooks.fusionchatalyst.secret).toBe('fc-shared-secret-of-mine');
    const eventId = await publish();
    for (const preset of Object.keys(RECEIVERS)) {
      const v = await deliveredTo(`/${preset}`, eventId);
      expect(v.ok, `the ${preset} receiver verified the delivery`).toBe(true);
    }
    // Each preset sends its own signature only; the event id and time go to every receiver (to de-duplicate).
    const got = (preset: string) => verdicts.find((v) => v.path === `/${preset}` && one(v.r.headers, 'webhook-id') === eventId)!.r.headers;
    expect(got('fillcue')['webhook-signature']).toBeUndefined();
    expect(got('fillcue')['x-wirehub-signature-256']).toBeUndefined();
    expect(got('github')['x-hub-signature-256']).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(got('fusionchatalyst')['x-fc-event']).toBe('lead.captured');
    expect(got('fluid-crm')).not.toHaveProperty('webhook-signature');
    expect(got('fluid-crm')).not.toHaveProperty('x-hub-signature-256');
    expect(got('standard-webhooks')['x-wirehub-signature-256']).toBe(
      `sha256=${createHmac('sha256', hooks['standard-webhooks'].secret)
        .update(verdicts.find((v) => v.path === '/standard-webhooks')!.r.body)
        .digest('hex')}`,
    );
    for (const preset of Object.keys(RECEIVERS)) expect(got(preset)['webhook-id']).toBe(eventId);

    // And the log says delivered for every one of them.
    for (const preset of Object.keys(RECEIVERS)) {
      const events = (await api('get', `/events?connection_id=${hooks[preset].id}`)).body.models;
      await waitFor(async () => (await api('get', `/events/${events[0].id}`)).body.status === 'SUCCESSFUL', 10_000, `${preset} successful`);
    }
  });

  it('answers the signature chosen, never a secret, and keeps Standard Webhooks as the default', async () => {
    const plain = await make('plain', '/standard-webhooks-default', RECEIVERS['standard-webhooks'], {});
    expect(plain.signature).toEqual({ preset: 'standard-webhooks' });
    expect(plain.signing).toBe('hmac');
    const fc = (await api('get', `/webhooks/${hooks.fusionchatalyst.id}`)).body;
    expect(fc).toMatchObject({ signature: { preset: 'fusionchatalyst' }, signing: 'shared-secret' });
    expect(fc).not.toHaveProperty('secret');
    expect((await api('get', `/webhooks/${hooks.github.id}`)).body).toMatchObject({ signature: { preset: 'github' }, signing: 'hmac' });
    // The older mode alone still means what it always did: the secret in X-Wirehub-Signature.
    const legacy = await make('legacy', '/legacy', (r, s) => sameBytes(one(r.headers, 'x-wirehub-signature'), s), { signing: 'shared-secret' });
    expect(legacy.signature).toEqual({ header: 'X-Wirehub-Signature', format: 'secret' });
    const eventId = await publish();
    expect((await deliveredTo('/standard-webhooks-default', eventId)).ok).toBe(true);
    expect((await deliveredTo('/legacy', eventId)).ok).toBe(true);
    const list = JSON.stringify((await api('get', '/webhooks')).body);
    for (const h of [...Object.values(hooks), legacy]) expect(list).not.toContain(h.secret);
    expect(list).not.toContain('fluid-token-7f3a');
  });

  it('signs with a header and format of its own, with an event-type header', async () => {
    const hmac = (secret: string, body: Buffer, enc: 'hex' | 'base64') => createHmac('sha256', secret).update(body).digest(enc);
    const cases: [string, Record<string, unknown>, Verify][] = [
      [
        'hex',
        { header: 'X-Acme-Sig', format: 'hex', event_header: 'X-Acme-Event' },
        (r, s) => sameBytes(one(r.headers, 'x-acme-sig'), hmac(s, r.body, 'hex')) && one(r.headers, 'x-acme-event') === 'lead.captured',
      ],
      [
        'prefixed',
        { header: 'X-Relay-Signature', format: 'sha256=hex' },
        (r, s) => sameBytes(one(r.headers, 'x-relay-signature'), `sha256=${hmac(s, r.body, 'hex')}`),
      ],
      // Shopify-style: the base64 HMAC of the raw body.
      [
        'base64',
        { header: 'X-Shop-Hmac-Sha256', format: 'base64', event_header: 'X-Shop-Topic' },
        (r, s) => sameBytes(one(r.headers, 'x-shop-hmac-sha256'), hmac(s, r.body, 'base64')) && one(r.headers, 'x-shop-topic') === 'lead.captured',
      ],
      [
        'secret',
        { header: 'X-Relay-Key', format: 'secret', event_header: 'X-Relay-Event' },
        (r, s) => sameBytes(one(r.headers, 'x-relay-key'), s) && one(r.headers, 'x-relay-event') === 'lead.captured',
      ],
      // A preset with an event header of one's own.
      [
        'preset-event',
        { preset: 'fillcue', event_header: 'X-FillCue-Event' },
        (r, s) => RECEIVERS.fillcue(r, s) && one(r.headers, 'x-fillcue-event') === 'lead.captured',
      ],
    ];
    const made: Record<string, { id: string; secret: string }> = {};
    for (const [name, signature, verify] of cases) {
      made[name] = await make(`own-${name}`, `/own-${name}`, verify, { signature, ...(name === 'secret' ? { secret: 'relay-key-of-my-own-9d2c' } : {}) });
      expect((await api('get', `/webhooks/${made[name].id}`)).body.signature).toEqual(signature);
    }
    expect((await api('get', `/webhooks/${made.secret.id}`)).body.signing).toBe('shared-secret');
    const eventId = await publish();
    for (const [name] of cases) expect((await deliveredTo(`/own-${name}`, eventId)).ok, name).toBe(true);
    hooks.ownSecret = made.secret;
  });

  it('refuses header names a receiver cannot be sent with 400, naming the field', async () => {
    const bad: [Record<string, unknown>, string][] = [
      [{ header: 'X Bad Sig', format: 'hex' }, 'signature.header'],
      [{ header: 'X-Sig:', format: 'hex' }, 'signature.header'],
      [{ header: '', format: 'hex' }, 'signature.header'],
      [{ header: 'Host', format: 'hex' }, 'signature.header'],
      [{ header: 'content-length', format: 'hex' }, 'signature.header'],
      [{ header: 'Transfer-Encoding', format: 'hex' }, 'signature.header'],
      [{ header: 'Connection', format: 'secret' }, 'signature.header'],
      [{ header: 'Authorization', format: 'secret' }, 'signature.header'],
      [{ header: 'webhook-id', format: 'hex' }, 'signature.header'],
      [{ header: 'X-Sig', format: 'hex', event_header: 'Keep-Alive' }, 'signature.event_header'],
      [{ header: 'X-Sig', format: 'hex', event_header: 'x-sig' }, 'signature.event_header'],
      [{ header: 'X-Sig', format: 'hmac' }, 'signature.format'],
      [{ header: 'X-Sig' }, 'signature.format'],
      [{ preset: 'fillcue', header: 'X-Sig', format: 'hex' }, 'signature.header'],
      [{ preset: 'stripe' }, 'signature.preset'],
      [{}, 'signature.preset'],
      [{ header: 'X-Sig', format: 'hex', secret: 'x' }, 'signature.secret'],
    ];
    for (const [signature, path] of bad) {
      const res = await api('post', '/webhooks').send({ name: 'bad-header', url: `${receiver.url}/bad`, events: ['lead.captured'], signature });
      expect(res.status, JSON.stringify(signature)).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_ERROR');
      expect(
        res.body.error.details.map((d: { path: string }) => d.path),
        JSON.stringify(signature),
      ).toContain(`body.${path}`);
    }
    const patched = await api('patch', `/webhooks/${hooks.github.id}`).send({ signature: { header: 'Upgrade', format: 'hex' } });
    expect(patched.status).toBe(400);
    expect(patched.body.error.details[0].path).toBe('body.signature.header');
    // An HTTP destination takes the same field in its config, checked the same way.
    const dest = await api('post', '/destinations').send({
      name: 'raw-http',
      config: { url: `${receiver.url}/raw`, signature: { header: 'TE', format: 'hex' } },
    });
    expect(dest.status).toBe(400);
    expect(dest.body.error.details.map((d: { path: string }) => d.path).join(' ')).toContain('signature.header');
    // Both modes given must agree.
    const mismatch = await api('post', '/webhooks').send({
      name: 'mismatch',
      url: `${receiver.url}/bad`,
      events: ['lead.captured'],
      signing: 'hmac',
      signature: { preset: 'fusionchatalyst' },
    });
    expect(mismatch.status).toBe(422);
    expect(mismatch.body.error.code).toBe('SIGNING_MISMATCH');
    expect(verdicts.some((v) => v.path === '/bad')).toBe(false);
  });

  it("changes a webhook's signature in place: the next delivery carries the new header only", async () => {
    const res = await api('patch', `/webhooks/${hooks['standard-webhooks'].id}`).send({ signature: { preset: 'github' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ signature: { preset: 'github' }, signing: 'hmac' });
    verifiers.set('/standard-webhooks', { verify: RECEIVERS.github, secret: hooks['standard-webhooks'].secret });
    const first = await publish();
    const got = await deliveredTo('/standard-webhooks', first);
    expect(got.ok).toBe(true);
    expect(got.r.headers['webhook-signature']).toBeUndefined();

    // The coarse mode given again as it is keeps the preset (a flow saving its step); another mode means that mode's own headers.
    expect((await api('patch', `/webhooks/${hooks['standard-webhooks'].id}`).send({ signing: 'hmac' })).body.signature).toEqual({ preset: 'github' });
    const back = await api('patch', `/webhooks/${hooks['standard-webhooks'].id}`).send({ signing: 'shared-secret' });
    expect(back.body).toMatchObject({ signing: 'shared-secret', signature: { header: 'X-Wirehub-Signature', format: 'secret' } });
    const reset = await api('patch', `/webhooks/${hooks['standard-webhooks'].id}`).send({ signature: { preset: 'standard-webhooks' } });
    expect(reset.body).toMatchObject({ signing: 'hmac', signature: { preset: 'standard-webhooks' } });
    verifiers.set('/standard-webhooks', { verify: RECEIVERS['standard-webhooks'], secret: hooks['standard-webhooks'].secret });
    const second = await publish();
    expect((await deliveredTo('/standard-webhooks', second)).ok).toBe(true);
  });

  it('never shows a secret sent as a header: attempts, test deliveries and the log mask it like Authorization', async () => {
    const secrets = ['fc-shared-secret-of-mine', 'relay-key-of-my-own-9d2c', 'fluid-token-7f3a'];
    const leaks = (what: string, text: string) => {
      for (const s of secrets) expect(text, `${what} shows ${s}`).not.toContain(s);
    };
    for (const [hook, header] of [
      [hooks.fusionchatalyst, 'x-fc-signature'],
      [hooks.ownSecret, 'x-relay-key'],
      [hooks['fluid-crm'], 'authorization'],
    ] as const) {
      const events = (await api('get', `/events?connection_id=${hook.id}`)).body.models as { id: string }[];
      expect(events.length).toBeGreaterThan(0);
      for (const e of events) {
        leaks('the event', JSON.stringify((await api('get', `/events/${e.id}`)).body));
        const attempts = (await api('get', `/attempts?event_id=${e.id}`)).body;
        leaks('the attempts', JSON.stringify(attempts));
        for (const a of attempts.models as { id: string }[]) {
          const one = (await api('get', `/attempts/${a.id}`)).body;
          leaks('an attempt', JSON.stringify(one));
          expect(one.request.headers[header]).toBe('[redacted]');
        }
      }
      const tested = await api('post', `/webhooks/${hook.id}/test`).send({});
      expect(tested.body.ok).toBe(true);
      expect(tested.body.request.headers[header]).toBe('[redacted]');
      leaks('a test delivery', JSON.stringify(tested.body));
      leaks('the webhook', JSON.stringify((await api('get', `/webhooks/${hook.id}`)).body));
    }
    leaks("the hub's log", logged.join(''));
    expect(logged.length).toBeGreaterThan(0);
  });
});
