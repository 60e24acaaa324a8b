// Issue 17 §3: with SMTP configured, a team's owners (not its other members, and only at verified
// addresses) get one mail when a destination is disabled automatically and one when a bulk retry
// ends with failures. The mail is a worker's job: without SMTP, or with SMTP down, deliveries go on.
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './support/child-hub.ts';
import { startMailbox, type Mailbox } from './support/mailbox.ts';
import { startTestHub, waitFor, type TestHub } from './support/hub.ts';
import { startReceiver } from './support/receiver.ts';

const V = '/api/v1';
const PUBLIC_URL = 'https://hooks.example.test';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Long enough for several sweeps of the alert job (every 300 ms here, on Agenda's 1 s poll). */
const SWEEPS_MS = 3_000;

type Person = { email: string; token: string; teamId: string };
let n = 0;

async function signUp(hub: TestHub, name: string, workspace = `${name}'s team`): Promise<Person> {
  const email = `${name.toLowerCase()}${Date.now()}${n++}@corp.test`;
  const res = await hub.api('post', `${V}/auth/signup`).send({ email, password: 'a long password 1', name, workspace });
  expect(res.status, res.text).toBe(201);
  return { email, token: res.body.token as string, teamId: res.body.team.id as string };
}

async function verify(hub: TestHub, smtp: Mailbox, p: Person) {
  const token = await smtp.link(p.email, 'verify-email');
  const res = await hub.api('post', `${V}/auth/verify-email`, p.token).send({ token });
  expect(res.status, res.text).toBe(200);
}

/** `owner`'s team gets `who` as `role`, through an invite the invitee accepts. */
async function join(hub: TestHub, owner: Person, who: Person, role: 'owner' | 'member') {
  const inv = await hub.api('post', `${V}/teams/${owner.teamId}/invites`, owner.token).send({ email: who.email, role });
  expect(inv.status, inv.text).toBe(201);
  const token = String(inv.body.url).split('/invite/')[1];
  const res = await hub.api('post', `${V}/invites/${token}/accept`, who.token);
  expect(res.status, res.text).toBe(200);
}

/** A source → destination connection in the team of `key`; returns the ids. */
async function wire(hub: TestHub, key: string, name: string, config: object) {
  const api = (path: string) => hub.api('post', `${V}${path}`, key);
  const src = await api('/sources').send({ name: `${name}-in` });
  const des = await api('/destinations').send({ name, config });
  expect(des.status, des.text).toBe(201);
  expect((await api('/connections').send({ name, source_id: src.body.id, destination_id: des.body.id })).status).toBe(201);
  return { sourceId: src.body.id as string, destinationId: des.body.id as string };
}

const destination = (hub: TestHub, key: string, id: string) => hub.api('get', `${V}/destinations/${id}`, key);

describe('alert mails to a team’s owners', () => {
  let hub: TestHub;
  let smtp: Mailbox;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let ann: Person; // the team's owner, verified
  let bob: Person; // a second owner, verified
  let cat: Person; // a member, verified
  let dan: Person; // the owner of his own team, his address not verified
  let key: string;
  const seen = new Set<string>();

  beforeAll(async () => {
    smtp = await startMailbox(PUBLIC_URL);
    // /down always fails; /flaky fails an event's first try and takes the next, unless it asks to fail.
    receiver = await startReceiver((r) => {
      if (r.url.startsWith('/down')) return { status: 500, body: 'down' };
      const id = String(r.headers['webhook-id']);
      const again = seen.has(id);
      seen.add(id);
      return again && !r.body.toString().includes('"always":true') ? { status: 200, body: 'ok' } : { status: 502, body: 'bad gateway' };
    });
    hub = await startTestHub({ autoDisableAfter: 4, retrySchedule: [], alertMailEveryMs: 300 }, { SMTP_URL: smtp.url, PUBLIC_URL });
    ann = await signUp(hub, 'Ann', 'Acme');
    bob = await signUp(hub, 'Bob');
    cat = await signUp(hub, 'Cat');
    dan = await signUp(hub, 'Dan');
    for (const p of [ann, bob, cat]) await verify(hub, smtp, p);
    await join(hub, ann, bob, 'owner');
    await join(hub, ann, cat, 'member');
    key = (await hub.api('post', `${V}/api-keys`, ann.token).send({ name: 'alerts', scopes: ['read', 'write'] })).body.key as string;
  });
  afterAll(async () => {
    await hub?.close();
    await receiver?.close();
    await smtp?.close();
  });

  const alerts = () => smtp.mails.filter((m) => m.subject.startsWith('Wirehub: '));

  it('a destination failing until it is disabled: one mail to the verified owners, none to the member', async () => {
    const { sourceId, destinationId } = await wire(hub, key, 'CRM prod', {
      url: `${receiver.url}/down/hooks?api_key=url-secret-1`,
      auth: { type: 'bearer', token: 'header-secret-2' },
    });
    for (let i = 0; i < 4; i++) expect((await hub.api('post', `/e/${sourceId}`).send({ n: i })).status).toBe(200);
    await waitFor(async () => (await destination(hub, key, destinationId)).body.disabled_at, 15_000, 'the destination disabled');

    const mail = await waitFor(() => alerts().find((m) => m.raw.includes(destinationId)), 10_000, 'the alert mail');
    await sleep(SWEEPS_MS);
    expect(alerts().filter((m) => m.raw.includes(destinationId))).toHaveLength(1);
    expect(mail.to.sort()).toEqual([ann.email, bob.email].sort());
    expect(mail.to).not.toContain(cat.email);
    expect(mail.subject).toBe('Wirehub: the destination "CRM prod" was disabled');
    expect(mail.raw).toContain('4 consecutive failed deliveries');
    expect(mail.raw).toContain('team "Acme"');
    expect(mail.raw).toContain(`${PUBLIC_URL}/destinations`);
    for (const secret of ['url-secret-1', 'header-secret-2', '/down/hooks']) expect(mail.raw).not.toContain(secret);
    // Marked in the delivery's own UPDATE, cleared by the worker that mailed.
    const row = await hub.deps.db.selectFrom('destinations').select('disable_alert_pending').where('id', '=', destinationId).executeTakeFirstOrThrow();
    expect(row.disable_alert_pending).toBe(false);
  });

  it('an owner whose address nobody proved gets no mail', async () => {
    const danKey = (await hub.api('post', `${V}/api-keys`, dan.token).send({ name: 'k', scopes: ['read', 'write'] })).body.key as string;
    const { sourceId, destinationId } = await wire(hub, danKey, 'Dan CRM', { url: `${receiver.url}/down/dan` });
    for (let i = 0; i < 4; i++) expect((await hub.api('post', `/e/${sourceId}`).send({ n: i })).status).toBe(200);
    await waitFor(async () => (await destination(hub, danKey, destinationId)).body.disabled_at, 15_000, 'the destination disabled');
    await waitFor(
      async () => {
        const row = await hub.deps.db.selectFrom('destinations').select('disable_alert_pending').where('id', '=', destinationId).executeTakeFirstOrThrow();
        return !row.disable_alert_pending;
      },
      10_000,
      'the alert looked at',
    );
    await sleep(SWEEPS_MS);
    expect(smtp.mails.filter((m) => m.raw.includes(destinationId) || (m.to.includes(dan.email) && !m.raw.includes('/verify-email/')))).toEqual([]);
  });

  it('a bulk retry whose events fail again: one mail once every event has had its try, with the tally', async () => {
    const { sourceId, destinationId } = await wire(hub, key, 'Orders', { url: `${receiver.url}/flaky` });
    const sent = [{ n: 1 }, { n: 2, always: true }, { n: 3, always: true }];
    for (const body of sent) expect((await hub.api('post', `/e/${sourceId}`).send(body)).status).toBe(200);
    const failed = async () => (await hub.api('get', `${V}/events?destination_id=${destinationId}&status=FAILED`, key)).body.models as unknown[];
    await waitFor(async () => (await failed()).length === 3, 15_000, 'three failed events');
    const before = alerts().length;

    const bulk = await hub.api('post', `${V}/events/bulk_operations`, key).send({ status: 'failed', destination_id: destinationId });
    expect(bulk.status, bulk.text).toBe(202);
    const id = bulk.body.id as string;
    const mail = await waitFor(() => alerts().find((m) => m.raw.includes(id)), 20_000, 'the bulk retry mail');
    await sleep(SWEEPS_MS);
    expect(alerts()).toHaveLength(before + 1);
    expect(mail.to.sort()).toEqual([ann.email, bob.email].sort());
    expect(mail.subject).toBe('Wirehub: a bulk retry finished with 2 failed events');
    expect(mail.raw).toContain('each of its 3 events has had its try');
    expect(mail.raw).toContain('Delivered: 1');
    expect(mail.raw).toContain('Failed again: 2 (0 to be retried on their schedule, 2 failed for good)');
    expect(mail.raw).toContain(`${PUBLIC_URL}/events`);
    // The tally was taken after the last try, not when the operation had only released its events.
    expect(await failed()).toHaveLength(2);
    // The destination took a success among the failures: it stays enabled.
    expect((await destination(hub, key, destinationId)).body.disabled_at).toBeNull();
  });

  it('a bulk retry whose events are all delivered mails nobody', async () => {
    const { sourceId, destinationId } = await wire(hub, key, 'Invoices', { url: `${receiver.url}/flaky` });
    expect((await hub.api('post', `/e/${sourceId}`).send({ n: 9 })).status).toBe(200);
    await waitFor(
      async () => (await hub.api('get', `${V}/events?destination_id=${destinationId}&status=FAILED`, key)).body.models.length === 1,
      15_000,
      'a failed event',
    );
    const before = alerts().length;
    const bulk = await hub.api('post', `${V}/events/bulk_operations`, key).send({ status: 'failed', destination_id: destinationId });
    const id = bulk.body.id as string;
    await waitFor(
      async () => {
        const op = await hub.deps.db.selectFrom('bulk_operations').select('alerted_at').where('id', '=', id).executeTakeFirstOrThrow();
        return op.alerted_at;
      },
      20_000,
      'the operation looked at',
    );
    await sleep(SWEEPS_MS);
    expect(alerts()).toHaveLength(before);
  });
});

describe('alert mails when mail cannot go out', () => {
  it('without SMTP a destination is still disabled, and nothing else breaks', async () => {
    const receiver = await startReceiver(() => ({ status: 500 }));
    const hub = await startTestHub({ autoDisableAfter: 2, retrySchedule: [], alertMailEveryMs: 300 });
    try {
      const signup = await hub
        .api('post', `${V}/auth/signup`)
        .send({ email: `solo${Date.now()}@corp.test`, password: 'a long password 1', name: 'Solo', workspace: 'Solo' });
      const key = (await hub.api('post', `${V}/api-keys`, signup.body.token).send({ name: 'k', scopes: ['read', 'write'] })).body.key as string;
      const { sourceId, destinationId } = await wire(hub, key, 'crm', { url: `${receiver.url}/x` });
      for (let i = 0; i < 2; i++) expect((await hub.api('post', `/e/${sourceId}`).send({ i })).status).toBe(200);
      await waitFor(async () => (await destination(hub, key, destinationId)).body.disabled_at, 15_000, 'the destination disabled');
      // No alert job is scheduled at all: nothing runs for mail that cannot be sent.
      const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM agenda_jobs WHERE name = 'alert-mails'`.execute(hub.deps.db);
      expect(rows[0].n).toBe(0);
    } finally {
      await hub.close();
      await receiver.close();
    }
  });

  it('with SMTP down deliveries go on, and the alert is mailed once the mail server is back', async () => {
    const port = await freePort();
    const receiver = await startReceiver((r) => (r.url.startsWith('/down') ? { status: 500 } : { status: 200 }));
    const hub = await startTestHub({ autoDisableAfter: 2, retrySchedule: [], alertMailEveryMs: 300 }, { SMTP_URL: `smtp://127.0.0.1:${port}`, PUBLIC_URL });
    let smtp: Mailbox | undefined = await startMailbox(PUBLIC_URL, port);
    try {
      const ops = await signUp(hub, 'Ops');
      await verify(hub, smtp, ops);
      await smtp.close();
      smtp = undefined;
      const key = (await hub.api('post', `${V}/api-keys`, ops.token).send({ name: 'k', scopes: ['read', 'write'] })).body.key as string;
      const down = await wire(hub, key, 'down', { url: `${receiver.url}/down` });
      const up = await wire(hub, key, 'up', { url: `${receiver.url}/up` });
      for (let i = 0; i < 2; i++) expect((await hub.api('post', `/e/${down.sourceId}`).send({ i })).status).toBe(200);
      await waitFor(async () => (await destination(hub, key, down.destinationId)).body.disabled_at, 15_000, 'the destination disabled');
      await sleep(SWEEPS_MS);
      // The failed mails changed nothing for deliveries; the alert waits for its next chance.
      for (let i = 0; i < 5; i++) expect((await hub.api('post', `/e/${up.sourceId}`).send({ i })).status).toBe(200);
      await waitFor(() => receiver.received.filter((r) => r.url === '/up').length === 5, 15_000, 'five deliveries');
      // Each sweep claims it, fails to send and puts it back: between sweeps it is pending again.
      await waitFor(
        async () => {
          const row = await hub.deps.db
            .selectFrom('destinations')
            .select('disable_alert_pending')
            .where('id', '=', down.destinationId)
            .executeTakeFirstOrThrow();
          return row.disable_alert_pending;
        },
        5_000,
        'the alert pending again',
      );

      smtp = await startMailbox(PUBLIC_URL, port);
      const mail = await waitFor(() => smtp!.mails.find((m) => m.raw.includes(down.destinationId)), 15_000, 'the alert, once SMTP is back');
      expect(mail.to).toEqual([ops.email]);
    } finally {
      await hub.close();
      await receiver.close();
      await smtp?.close();
    }
  });
});
