// The signature headers of an HTTP webhook as pure functions: what each preset and format sends,
// which names are refused, and how a signature and the older `signing` mode stay in step (a flow
// saving its webhook step must not undo a preset chosen through the API).
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HttpConfigSchema } from '../../connectors/http-webhook/config.ts';
import { httpConnector, secretSignatureHeader, signatureHeaders } from '../../connectors/http-webhook/index.ts';
import { webhookNodeManifest } from '../../connectors/http-webhook/manifest.ts';
import { SignatureSchema, signatureOf, signingOf, withSigning, type Signature } from '../../connectors/http-webhook/signature.ts';
import type { OutboundMessage } from '../../connectors/types.ts';

const body = Buffer.from('{"eventType":"lead.captured","email":"jane@example.com"}');
const secret = 'whsec_dGVzdC1zZWNyZXQtZm9yLXNpZ25hdHVyZXM=';
const message: OutboundMessage = {
  eventId: 'msg_1',
  eventType: 'lead.captured',
  timestamp: 1_700_000_000,
  body,
  contentType: 'application/json',
  payload: undefined,
  signingSecret: secret,
};
const hex = createHmac('sha256', secret).update(body).digest('hex');
const ids = { 'webhook-id': 'msg_1', 'webhook-timestamp': '1700000000' };

describe('http-webhook signature headers', () => {
  it('sends what each preset names, and the default is the Standard Webhooks headers sent before presets existed', () => {
    const legacy = signatureHeaders(message);
    expect(Object.keys(legacy).sort()).toEqual(['webhook-id', 'webhook-signature', 'webhook-timestamp', 'x-wirehub-signature-256']);
    expect(signatureHeaders(message, { preset: 'standard-webhooks' })).toEqual(legacy);
    expect(signatureHeaders(message, { preset: 'fillcue' })).toEqual({ ...ids, 'x-fillcue-signature': hex });
    expect(signatureHeaders(message, { preset: 'flowmaticx' })).toEqual({ ...ids, 'x-webhook-signature': hex });
    expect(signatureHeaders(message, { preset: 'github' })).toEqual({ ...ids, 'x-hub-signature-256': `sha256=${hex}` });
    expect(signatureHeaders(message, { preset: 'fusionchatalyst' })).toEqual({ ...ids, 'x-fc-signature': secret, 'x-fc-event': 'lead.captured' });
    expect(signatureHeaders(message, { preset: 'fluid-crm' })).toEqual(ids);
  });

  it("sends a header and format of one's own, and an event header only when there is an event type", () => {
    expect(signatureHeaders(message, { header: 'X-Sig', format: 'base64', event_header: 'X-Topic' })).toEqual({
      ...ids,
      'x-sig': createHmac('sha256', secret).update(body).digest('base64'),
      'x-topic': 'lead.captured',
    });
    expect(signatureHeaders(message, { header: 'X-Sig', format: 'hex' })['x-sig']).toBe(hex);
    expect(signatureHeaders(message, { header: 'X-Sig', format: 'sha256=hex' })['x-sig']).toBe(`sha256=${hex}`);
    expect(signatureHeaders(message, { header: 'X-Key', format: 'secret' })['x-key']).toBe(secret);
    // An inbound request forwarded has no event type: no event header, rather than an empty one.
    expect(signatureHeaders({ ...message, eventType: undefined }, { preset: 'fusionchatalyst' })).not.toHaveProperty('x-fc-event');
    // A preset's event header can be renamed.
    expect(signatureHeaders(message, { preset: 'fusionchatalyst', event_header: 'X-Kind' })).toMatchObject({ 'x-kind': 'lead.captured' });
  });

  it('tells redact() about a header that carries the secret, and counts it as a credential sent', () => {
    expect(secretSignatureHeader({ preset: 'fusionchatalyst' })).toEqual(['x-fc-signature']);
    expect(secretSignatureHeader({ header: 'X-Key', format: 'secret' })).toEqual(['x-key']);
    expect(secretSignatureHeader({ preset: 'github' })).toEqual([]);
    const cfg = (signature: Signature) => HttpConfigSchema.parse({ url: 'https://hooks.example.com/', secret: 'a-secret-of-mine', signature });
    expect(httpConnector.sentCredentials?.(cfg({ preset: 'fusionchatalyst' })).map((c) => c.field)).toEqual(['secret']);
    expect(httpConnector.sentCredentials?.(cfg({ preset: 'fillcue' }))).toEqual([]);
  });

  it('refuses names no receiver can be sent, and a preset mixed with a header', () => {
    const paths = (v: unknown) => {
      const r = SignatureSchema.safeParse(v);
      return r.success ? [] : [...new Set(r.error.issues.map((i) => i.path.join('.')))];
    };
    for (const header of [
      'Host',
      'content-length',
      'Connection',
      'Keep-Alive',
      'Transfer-Encoding',
      'TE',
      'Upgrade',
      'Proxy-Authorization',
      'Authorization',
      'webhook-id',
      'X-Wirehub-Event',
      'X Sig',
      'X-Sig:',
      'é',
      '',
    ])
      expect(paths({ header, format: 'hex' }), header).toEqual(['header']);
    expect(paths({ preset: 'github', event_header: 'Upgrade' })).toEqual(['event_header']);
    expect(paths({ preset: 'github', event_header: 'X-Hub-Signature-256' })).toEqual(['event_header']);
    expect(paths({ preset: 'github', header: 'X-Sig', format: 'hex' })).toEqual(['header']);
    expect(paths({ header: 'X-Sig' })).toEqual(['format']);
    expect(paths({})).toEqual(['preset']);
    expect(paths({ header: 'X-Webhook-Signature', format: 'secret', event_header: 'X-Event' })).toEqual([]);
  });

  it('keeps a signature and the signing mode in step', () => {
    expect(signatureOf({ signing: 'hmac' })).toEqual({ preset: 'standard-webhooks' });
    expect(signatureOf({ signing: 'shared-secret' })).toEqual({ header: 'X-Wirehub-Signature', format: 'secret' });
    expect(signingOf({ preset: 'fusionchatalyst' })).toBe('shared-secret');
    expect(signingOf({ preset: 'fluid-crm' })).toBe('hmac');
    const stored = { url: 'https://a.example/', signing: 'hmac', signature: { preset: 'github' }, secret };
    expect(withSigning(stored, 'hmac')).toEqual(stored);
    expect(withSigning(stored, 'shared-secret')).toEqual({ url: 'https://a.example/', signing: 'shared-secret', secret });
  });

  it("a flow's webhook node keeps the stored preset under the same mode, and reads it back", () => {
    const stored = { url: 'https://a.example/', signing: 'hmac', signature: { preset: 'github' }, secret };
    const ctx = { events: [], mapped: [], vendorUrls: {}, stored };
    expect(webhookNodeManifest.toConfig({ url: 'https://b.example/', signing: 'hmac' }, ctx)).toMatchObject({
      url: 'https://b.example/',
      signature: { preset: 'github' },
    });
    expect(webhookNodeManifest.toConfig({ url: 'https://b.example/', signing: 'shared-secret' }, ctx)).not.toHaveProperty('signature');
    expect(webhookNodeManifest.toConfig({ url: 'https://b.example/', signing: 'shared-secret', signature: { preset: 'fusionchatalyst' } }, ctx)).toMatchObject({
      signature: { preset: 'fusionchatalyst' },
    });
    expect(webhookNodeManifest.fromConfig({ url: 'https://a.example/', signing: 'shared-secret', signature: { preset: 'fusionchatalyst' } })).toEqual({
      url: 'https://a.example/',
      signing: 'shared-secret',
      signature: { preset: 'fusionchatalyst' },
    });
    expect(webhookNodeManifest.fromConfig({ url: 'https://a.example/', signing: 'hmac' })).toEqual({ url: 'https://a.example/', signing: 'hmac' });
  });
});
