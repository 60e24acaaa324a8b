import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { waitFor } from './support/hub.ts';
import { call, childEnv, freePort, killHard, startChildHub, tail, type ChildHub } from './support/child-hub.ts';
import { startReceiver } from './support/receiver.ts';

/**
 * SIGTERM to a real Wirehub process (server/main.ts) while a slow receiver holds deliveries in
 * flight and a sender is half-way through a request: the process stops accepting connections,
 * answers the request in progress, lets its deliveries end and records them, and exits 0 within
 * WIREHUB_SHUTDOWN_TIMEOUT_MS. A second hub on the same database (on PostgreSQL started at once,
 * beside the one stopping; embedded, the same data dir once the first has exited, since only one
 * process may open it) delivers the rest: the receiver gets every event exactly once.
 *
 * Past the bound the process exits 1 anyway, and what it was delivering is delivered again by the
 * next owner of the lane: at least once, at most one copy more per event cut off.
 */

const EVENTS = 40;
const RECEIVER_DELAY_MS = 1500;
/** Generous: on a loaded 2-core machine the embedded database's hub may take seconds to see its signal. */
const SHUTDOWN_TIMEOUT_MS = 60_000;

type Setup = { key: string; sourceId: string; destinationId: string };

describe('graceful shutdown on SIGTERM', () => {
  const databaseUrl = inject('databaseUrl');
  const dirs: string[] = [];
  const children: ChildHub[] = [];
  const receivers: Awaited<ReturnType<typeof startReceiver>>[] = [];

  afterEach(async () => {
    for (const c of children.splice(0)) await killHard(c);
    for (const r of receivers.splice(0)) await r.close();
  });
  afterAll(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  // Both hubs of a test open the secrets the first one sealed.
  const SECRET = randomBytes(32).toString('hex');

  /** A hub on its own port, on the shared schema (PostgreSQL) or data dir. */
  async function start(schema: string, dataDir: string, extra: Record<string, string> = {}): Promise<ChildHub> {
    const port = await freePort();
    const hub = await startChildHub(childEnv({ port, dataDir, schema, extra: { WIREHUB_SECRET_KEY: SECRET, ...extra } }), port);
    children.push(hub);
    return hub;
  }

  function newDir(): string {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'wirehub-shutdown-'));
    dirs.push(d);
    return d;
  }

  async function setUp(hub: ChildHub, receiverUrl: string, timeoutMs = 10_000): Promise<Setup> {
    const api = `${hub.url}/api/v1`;
    const signup = await call<{ token: string }>(`${api}/auth/signup`, 'POST', {
      email: `stop${Date.now()}@example.test`,
      password: 'correct horse battery',
      name: 'Stopper',
      workspace: 'Stop Co',
    });
    const { key } = await call<{ key: string }>(`${api}/api-keys`, 'POST', { name: 'stop', scopes: ['read', 'write'] }, signup.token);
    const sourceId = (await call<{ id: string }>(`${api}/sources`, 'POST', { name: 'orders' }, key)).id;
    const destinationId = (
      await call<{ id: string }>(`${api}/destinations`, 'POST', { name: 'slow', config: { url: `${receiverUrl}/hook`, timeout_ms: timeoutMs } }, key)
    ).id;
    await call(`${api}/connections`, 'POST', { name: 'orders-slow', source_id: sourceId, destination_id: destinationId }, key);
    return { key, sourceId, destinationId };
  }

  async function send(hub: ChildHub, sourceId: string, seqs: number[]): Promise<void> {
    for (const seq of seqs) {
      const res = await fetch(`${hub.url}/e/${sourceId}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ seq }) });
      expect(res.status, await res.text()).toBe(200);
    }
  }

  const seqOf = (body: Buffer) => (JSON.parse(body.toString('utf8')) as { seq: number }).seq;
  const tally = (received: { body: Buffer }[]) => {
    const by = new Map<number, number>();
    for (const r of received) by.set(seqOf(r.body), (by.get(seqOf(r.body)) ?? 0) + 1);
    return by;
  };

  /** A POST whose headers and first bytes are sent now and the rest on `finish()`. */
  function halfSent(url: string, body: string) {
    const bytes = Buffer.from(body);
    const target = new URL(url);
    const req = http.request({
      host: target.hostname,
      port: target.port,
      path: target.pathname,
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/json', 'content-length': bytes.length },
    });
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('error', reject);
    });
    // Awaited by finish(); a connection cut before then must fail the test there, not as an unhandled rejection.
    answer.catch(() => {});
    req.write(bytes.subarray(0, 5));
    return { finish: () => (req.end(bytes.subarray(5)), answer) };
  }

  async function refusesConnections(url: string): Promise<boolean> {
    try {
      await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
      return false;
    } catch (err) {
      return ((err as Error).cause as { code?: string } | undefined)?.code === 'ECONNREFUSED';
    }
  }

  it('stops accepting, answers the request in progress, finishes and records its deliveries, exits 0; the next hub delivers the rest, each event once', async () => {
    const receiver = await startReceiver(() => ({ status: 200, body: 'ok', delayMs: RECEIVER_DELAY_MS }));
    receivers.push(receiver);
    const schema = `stop_${randomBytes(6).toString('hex')}`;
    const dirA = newDir();
    const a = await start(schema, dirA, { WIREHUB_SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS) });
    const { key, sourceId } = await setUp(a, receiver.url);

    await send(
      a,
      sourceId,
      Array.from({ length: EVENTS }, (_, i) => i),
    );
    // Deliveries are in flight: the receiver holds each for 1.5 s.
    await waitFor(() => receiver.received.length > 0, 15_000, 'the first deliveries to reach the receiver');
    const inProgress = halfSent(`${a.url}/e/${sourceId}`, JSON.stringify({ seq: EVENTS }));
    await new Promise((r) => setTimeout(r, 300));

    const signalled = Date.now();
    const reachedBefore = receiver.received.length;
    a.child.kill('SIGTERM');
    // On PostgreSQL the next hub starts beside the one stopping, as in a rolling deploy; it takes the
    // lane once it is handed over. Embedded, it waits for the data dir.
    const next = databaseUrl ? start(schema, newDir()) : null;
    await waitFor(() => refusesConnections(a.url), 20_000, 'the stopping hub to refuse new connections');
    // The rest of the body comes after the deliveries in flight have ended: the request is still
    // answered (requests in progress have half of WIREHUB_SHUTDOWN_TIMEOUT_MS).
    await new Promise((r) => setTimeout(r, RECEIVER_DELAY_MS + 1000));
    const answered = await inProgress.finish();
    expect(answered.status, answered.body).toBe(200);

    const code = await a.exited;
    const took = Date.now() - signalled;
    expect(code, tail(a.output)).toBe(0);
    expect(took).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
    // Every delivery the receiver had when the signal came was answered and recorded before the exit.
    expect(receiver.received.length).toBeGreaterThanOrEqual(reachedBefore);

    const b = next ? await next : await start(schema, dirA);
    await waitFor(() => tally(receiver.received).size === EVENTS + 1, 60_000, 'every event to be delivered');
    // Time for a duplicate to show up, had an event been left leased or unrecorded.
    await new Promise((r) => setTimeout(r, RECEIVER_DELAY_MS + 1000));
    const counts = tally(receiver.received);
    expect([...counts.entries()].filter(([, n]) => n !== 1)).toEqual([]);
    expect(receiver.received.length).toBe(EVENTS + 1);

    const events = await call<{ models: { status: string; attempts: number }[] }>(`${b.url}/api/v1/events?limit=100`, 'GET', undefined, key);
    expect(events.models).toHaveLength(EVENTS + 1);
    expect(events.models.every((e) => e.status === 'SUCCESSFUL' && e.attempts === 1)).toBe(true);
  }, 180_000);

  it('past WIREHUB_SHUTDOWN_TIMEOUT_MS exits 1 anyway; what it was delivering is delivered again, nothing lost', async () => {
    // The first deliveries hang (the receiver answers them after a minute); later ones are quick.
    const HANGING = 4;
    const receiver = await startReceiver((_req, index) => ({ status: 200, body: 'ok', delayMs: index < HANGING ? 60_000 : 0 }));
    receivers.push(receiver);
    const schema = `stop_${randomBytes(6).toString('hex')}`;
    const dirA = newDir();
    const a = await start(schema, dirA, { WIREHUB_SHUTDOWN_TIMEOUT_MS: '3000' });
    const { sourceId } = await setUp(a, receiver.url, 60_000);

    await send(
      a,
      sourceId,
      Array.from({ length: HANGING }, (_, i) => i),
    );
    await waitFor(() => receiver.received.length === HANGING, 15_000, 'the hanging deliveries');
    const signalled = Date.now();
    a.child.kill('SIGTERM');
    const code = await a.exited;
    const took = Date.now() - signalled;
    expect(code, tail(a.output)).toBe(1);
    expect(took).toBeGreaterThanOrEqual(3000);
    expect(took).toBeLessThan(10_000);
    expect(tail(a.output)).toContain('WIREHUB_SHUTDOWN_TIMEOUT_MS');

    await start(schema, databaseUrl ? newDir() : dirA);
    await waitFor(() => receiver.received.length === 2 * HANGING, 60_000, 'the cut-off deliveries to be made again');
    const counts = tally(receiver.received);
    expect([...counts.values()]).toEqual(Array(HANGING).fill(2));
  }, 180_000);
});
