import { createHmac, randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newWorkspace, startTestHub, type TestHub } from './support/hub.ts';

// Vendor sources as a user sets them up: pick the vendor's type, paste its secret, and requests
// signed the way that vendor documents are accepted; tampered, unsigned or replayed ones are
// refused with 401 and kept in the requests log with the reason.
describe('vendor source presets verify their signatures', () => {
  let hub: TestHub;
  let ws: Awaited<ReturnType<typeof newWorkspace>>;
  const body = JSON.stringify({ id: 'evt_1', type: 'order.paid', amount: 4200 });
  const now = () => Math.floor(Date.now() / 1000);

  const createSource = async (name: string, type: string, auth: object) => {
    const res = await hub.api('post', '/api/v1/sources', ws.key).send({ name, type, config: { auth } });
    expect(res.status, res.text).toBe(201);
    expect(res.body.type).toBe(type);
    return res.body.id as string;
  };
  const post = (source: string, headers: Record<string, string>, raw = body) =>
    hub
      .api('post', `/e/${source}`)
      .set({ 'content-type': 'application/json', ...headers })
      .send(raw);
  const stored = async (id: string) =>
    (await hub.api('get', `/api/v1/requests/${id}`, ws.key)).body as { status: string; verified: boolean; rejection_cause: string | null };

  async function accepted(source: string, headers: Record<string, string>) {
    const res = await post(source, headers);
    expect(res.status, res.text).toBe(200);
    expect(await stored(res.body.request_id)).toMatchObject({ status: 'accepted', verified: true });
  }
  async function refused(source: string, headers: Record<string, string>, cause: RegExp, raw = body) {
    const res = await post(source, headers, raw);
    expect(res.status, res.text).toBe(401);
    expect(res.body.error.code).toBe('VERIFICATION_FAILED');
    const request = await stored(res.body.error.details.request_id);
    expect(request.status).toBe('rejected');
    expect(request.rejection_cause).toMatch(cause);
  }

  beforeAll(async () => {
    hub = await startTestHub();
    ws = await newWorkspace(hub);
  });
  afterAll(async () => {
    await hub?.close();
  });

  it('Stripe: t=…,v1=… over "t.body", hex, with a tolerance', async () => {
    const secret = `whsec_${randomBytes(24).toString('base64')}`;
    const source = await createSource('stripe', 'STRIPE', { webhook_secret_key: secret });
    // As Stripe's docs describe: signed_payload = `${t}.${raw body}`, HMAC-SHA256 with the endpoint secret, hex.
    const sign = (t: number, raw = body) => createHmac('sha256', secret).update(`${t}.${raw}`).digest('hex');
    const t = now();
    await accepted(source, { 'stripe-signature': `t=${t},v1=${sign(t)}` });
    // Several signatures (a secret being rolled) and other schemes are allowed beside the valid one.
    await accepted(source, { 'stripe-signature': `t=${t},v1=${'0'.repeat(64)},v1=${sign(t)},v0=abc` });
    await refused(source, { 'stripe-signature': `t=${t},v1=${sign(t)}` }, /does not match/, body.replace('4200', '1'));
    await refused(source, { 'stripe-signature': `t=${t + 1},v1=${sign(t)}` }, /does not match/);
    const stale = t - 301;
    await refused(source, { 'stripe-signature': `t=${stale},v1=${sign(stale)}` }, /tolerance/);
    await refused(source, { 'stripe-signature': `v1=${sign(t)}` }, /t=/);
    await refused(source, {}, /missing Stripe-Signature/);
    // A wider tolerance, as a user may set it, takes the same old delivery.
    const lenient = await createSource('stripe-lenient', 'STRIPE', { webhook_secret_key: secret, tolerance_seconds: 600 });
    await accepted(lenient, { 'stripe-signature': `t=${stale},v1=${sign(stale)}` });
  });

  it('GitHub: X-Hub-Signature-256 sha256=<hex> of the body', async () => {
    const secret = 'It\u2019s a Secret to Everybody';
    const source = await createSource('github', 'GITHUB', { webhook_secret_key: secret });
    const sign = (raw = body) => `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;
    await accepted(source, { 'x-hub-signature-256': sign(), 'x-github-event': 'push', 'x-github-delivery': 'd-1' });
    await refused(source, { 'x-hub-signature-256': sign() }, /does not match/, body.replace('order', 'other'));
    await refused(source, { 'x-hub-signature-256': sign().replace('sha256=', '') }, /does not match/);
    await refused(
      source,
      { 'x-hub-signature': `sha1=${createHmac('sha1', secret).update(body).digest('hex')}` },
      /missing signature header x-hub-signature-256/,
    );
  });

  it('Shopify: X-Shopify-Hmac-Sha256, base64 of the body’s HMAC', async () => {
    const secret = randomBytes(16).toString('hex');
    const source = await createSource('shopify', 'SHOPIFY', { webhook_secret_key: secret });
    const sign = (raw = body) => createHmac('sha256', secret).update(raw).digest('base64');
    await accepted(source, { 'x-shopify-hmac-sha256': sign(), 'x-shopify-topic': 'orders/create' });
    await refused(source, { 'x-shopify-hmac-sha256': sign() }, /does not match/, `${body} `);
    // The hex of the same HMAC is not what Shopify sends.
    await refused(source, { 'x-shopify-hmac-sha256': createHmac('sha256', secret).update(body).digest('hex') }, /does not match/);
  });

  it('Standard Webhooks and Svix: webhook-*/svix-* headers, v1,<base64> over "id.timestamp.body"', async () => {
    const secret = `whsec_${randomBytes(24).toString('base64')}`;
    const standard = await createSource('standard', 'STANDARD_WEBHOOKS', { webhook_secret_key: secret });
    const svix = await createSource('svix', 'SVIX', { webhook_secret_key: secret });
    // The specification's reference library signs the first; the second is computed by hand per Svix's docs.
    const wh = new Webhook(secret);
    const at = new Date();
    await accepted(standard, {
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': wh.sign('msg_1', at, body),
    });
    const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
    const sign = (id: string, t: number, raw = body) => `v1,${createHmac('sha256', key).update(`${id}.${t}.${raw}`).digest('base64')}`;
    const t = now();
    await accepted(svix, { 'svix-id': 'msg_2', 'svix-timestamp': String(t), 'svix-signature': `v1,bm90IGl0 ${sign('msg_2', t)}` });
    await refused(
      svix,
      { 'svix-id': 'msg_3', 'svix-timestamp': String(t), 'svix-signature': sign('msg_3', t) },
      /does not match/,
      body.replace('paid', 'refunded'),
    );
    await refused(svix, { 'svix-id': 'msg_4', 'svix-timestamp': String(t), 'svix-signature': sign('msg_other', t) }, /does not match/);
    const stale = t - 301;
    await refused(svix, { 'svix-id': 'msg_5', 'svix-timestamp': String(stale), 'svix-signature': sign('msg_5', stale) }, /tolerance/);
    await refused(standard, { 'webhook-id': 'msg_6', 'webhook-timestamp': String(t + 600), 'webhook-signature': sign('msg_6', t + 600) }, /tolerance/);
  });

  it('a vendor source needs its secret and no other kind of auth', async () => {
    const missing = await hub.api('post', '/api/v1/sources', ws.key).send({ name: 'no-secret', type: 'STRIPE' });
    expect(missing.status, missing.text).toBe(400);
    expect(missing.body.error.details.map((d: { path: string }) => d.path)).toEqual(['body.config.auth']);
    const other = await hub
      .api('post', '/api/v1/sources', ws.key)
      .send({ name: 'basic', type: 'GITHUB', config: { auth: { type: 'basic_auth', username: 'a', password: 'b' } } });
    expect(other.status, other.text).toBe(400);
    expect(other.body.error.details.map((d: { path: string }) => d.path)).toEqual(['body.config.auth.type']);
    const tolerance = await hub
      .api('post', '/api/v1/sources', ws.key)
      .send({ name: 'zero', type: 'STRIPE', config: { auth: { webhook_secret_key: 'whsec_x', tolerance_seconds: 0 } } });
    expect(tolerance.status, tolerance.text).toBe(400);
    expect(tolerance.body.error.details.map((d: { path: string }) => d.path)).toEqual(['body.config.auth.tolerance_seconds']);
    // The secret is sealed like any source credential: shown only when asked for.
    const list = await hub.api('get', '/api/v1/sources?name=stripe', ws.key);
    expect(list.body.models[0].config).toEqual({ auth_type: 'stripe', allowed_http_methods: ['POST', 'PUT', 'PATCH'] });
  });
});
