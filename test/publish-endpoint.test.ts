import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newWorkspace, startTestHub, type TestHub } from './support/hub.ts';

/**
 * POST /publish is served before Express (server/publish/publish.routes.ts publishEndpoint): every
 * step of the API's guard must still answer as it does through Express.
 */
describe('POST /publish, served before Express', () => {
  let hub: TestHub;
  let ws: Awaited<ReturnType<typeof newWorkspace>>;
  beforeAll(async () => {
    // Six a minute per key (sixty per address): the limit is reachable in a test.
    hub = await startTestHub({}, { WIREHUB_API_RATE_LIMIT: '6' });
    ws = await newWorkspace(hub);
  });
  afterAll(async () => {
    await hub?.close();
  });

  const post = (body: string, headers: Record<string, string> = {}, path = '/api/v1/publish') =>
    fetch(`${hub.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${ws.key}`, ...headers }, body });
  const data = (n: number, name = 'Jane Smith') => ({ name, email: `a${n}@example.com`, phone: '+15555550123', chatbot_name: 'Bot', intent: 'request_quote' });
  const lead = (n: number) => JSON.stringify({ eventType: 'lead.captured', data: data(n) });
  const errorOf = async (res: Response) => ((await res.json()) as { error: { code: string; message: string } }).error;

  it('answers each refusal of the guard in the API’s error shape, and shares one rate budget with the rest of the API', async () => {
    const other = await newWorkspace(hub, ['read']);

    const noAuth = await fetch(`${hub.url}/api/v1/publish`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: lead(0) });
    expect([noAuth.status, (await errorOf(noAuth)).code]).toEqual([401, 'UNAUTHORIZED']);

    const text = await post('hello', { 'content-type': 'text/plain' });
    expect([text.status, (await errorOf(text)).code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);

    const broken = await post('{"eventType": ');
    expect([broken.status, (await errorOf(broken)).code]).toEqual([400, 'INVALID_JSON']);

    const nul = await post(JSON.stringify({ eventType: 'lead.captured\u0000', data: {} }));
    expect([nul.status, (await errorOf(nul)).code]).toEqual([400, 'INVALID_INPUT']);

    const readOnly = await post(lead(1), { authorization: `Bearer ${other.key}` });
    const scope = await errorOf(readOnly);
    expect([readOnly.status, scope.code]).toEqual([403, 'INSUFFICIENT_SCOPE']);
    expect(scope.message).toContain('POST /api/v1/publish');

    const elsewhere = await post(lead(2), { 'x-team-id': other.teamId });
    expect([elsewhere.status, (await errorOf(elsewhere)).code]).toEqual([403, 'FORBIDDEN']);

    // The refusals after the body's checks counted against the key's budget (one so far): five
    // more publishes fit, a NUL inside `data` kept; the next publish and the next API call are over it.
    for (let n = 3; n < 8; n++) {
      const res = await post(n === 3 ? JSON.stringify({ eventType: 'lead.captured', data: data(n, 'Ja\u0000ne') }) : lead(n));
      expect(res.status, await res.text()).toBe(202);
    }
    const over = await post(lead(9));
    expect(over.status).toBe(429);
    expect(over.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(over.headers.get('ratelimit-policy')).toBe('6;w=60');
    expect((await errorOf(over)).code).toBe('RATE_LIMITED');
    const api = await hub.api('get', '/api/v1/sources', ws.key);
    expect(api.status).toBe(429);
  });

  it('accepts a publish with 202 and its id, says a repeated idempotency key is a replay, and leaves other spellings of the path to Express', async () => {
    const fresh = await newWorkspace(hub);
    const send = (body: string, path?: string) =>
      fetch(`${hub.url}${path ?? '/api/v1/publish'}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${fresh.key}` },
        body,
      });
    const body = JSON.stringify({ eventType: 'lead.captured', data: data(1), idempotencyKey: 'once' });
    const first = await send(body);
    expect(first.status).toBe(202);
    expect(first.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const { eventId } = (await first.json()) as { eventId: string };
    expect(eventId).toMatch(/^msg_/);
    const again = await send(body);
    expect(again.status).toBe(202);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(((await again.json()) as { eventId: string }).eventId).toBe(eventId);
    const slash = await send(lead(2), '/api/publish/');
    expect(slash.status).toBe(202);
  });
});
