// The README's shell examples run as written: the script of "A first delivery, by hand" and the
// source presets' verification examples are read out of README.md, only the hub's and the
// receiver's URLs are put in, and bash runs them (curl, jq, openssl) against a running hub, in one
// shell as a reader would. Editing an example in the README changes what this test runs.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SOURCE_PRESETS } from '../server/gateway/source-presets/index.ts';
import { startTestHub, waitFor, type TestHub } from './support/hub.ts';
import { startReceiver } from './support/receiver.ts';

const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const FIRST_DELIVERY = '## A first delivery, by hand';
const PRESETS = '## Verified sources: Stripe, GitHub, Shopify, Standard Webhooks';
// The README's placeholders: the only text this test changes.
const HUB_PLACEHOLDER = 'HUB=http://127.0.0.1:3000';
const RECEIVER_PLACEHOLDER = 'RECEIVER=https://example.com/hooks';

/** The text under a heading, up to the next heading of the same or a higher level. */
function section(heading: string): string {
  const start = README.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`README.md has no heading "${heading}"`);
  const level = /^#+/.exec(heading)![0].length;
  const rest = README.slice(start + heading.length + 2);
  const next = new RegExp(`^#{1,${level}} `, 'm').exec(rest);
  return next ? rest.slice(0, next.index) : rest;
}

/** The ```sh blocks of a text, in order. */
const shellBlocks = (text: string): string[] => [...text.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]);

const replaceOnce = (text: string, from: string, to: string): string => {
  expect(text.split(from), `"${from}" once in the README's script`).toHaveLength(2);
  return text.replace(from, to);
};

/** Runs a script in bash, stricter than a reader's shell: any failing command stops it. */
function bash(script: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['--norc', '--noprofile', '-c', `set -euo pipefail\n${script}`], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => (clearTimeout(timer), resolve({ code, stdout, stderr })));
  });
}

type Answer = { status: number; body: { status?: string; request_id?: string; error?: { code: string; details: { request_id: string } } } };

describe('README examples run as written', () => {
  let hub: TestHub;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let run: Awaited<ReturnType<typeof bash>>;
  /** The output of each block, by the marker printed before it. */
  const outputs = new Map<string, string>();
  let key = '';
  const presetBlocks = shellBlocks(section(PRESETS));
  // One example per verification scheme (SVIX shares Standard Webhooks').
  const schemes = SOURCE_PRESETS.filter((p, i) => SOURCE_PRESETS.findIndex((q) => q.authType === p.authType) === i).map((p) => p.sourceType);

  beforeAll(async () => {
    hub = await startTestHub();
    receiver = await startReceiver(() => ({ status: 200, body: 'ok' }));
    const [first] = shellBlocks(section(FIRST_DELIVERY));
    let script = replaceOnce(first, HUB_PLACEHOLDER, `HUB=${hub.url}`);
    script = replaceOnce(script, RECEIVER_PLACEHOLDER, `RECEIVER=${receiver.url}/hooks`);
    // Every other command reaches the hub through $HUB or $B, so that changing HUB is enough.
    for (const block of [script, ...presetBlocks]) expect(block).not.toMatch(/127\.0\.0\.1:3000|example\.com\/hooks/);
    const marked = [script, ...presetBlocks].map((block, i) => `printf '\\n::block %s\\n' ${i}\n${block}`).join('\n');
    run = await bash(`${marked}\nprintf '\\n::block key\\n%s\\n' "$KEY"\n`);
    for (const part of run.stdout.split(/^::block /m).slice(1)) {
      const nl = part.indexOf('\n');
      outputs.set(part.slice(0, nl), part.slice(nl + 1));
    }
    key = outputs.get('key')?.trim() ?? '';
  }, 120_000);
  afterAll(async () => {
    await hub?.close();
    await receiver?.close();
  });

  it('the scripts run to their end without an error', () => {
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(key).toMatch(/^wh_live_/);
  });

  it('"A first delivery, by hand": the event is accepted, delivered to the receiver, and listed as SUCCESSFUL', async () => {
    const lines = (outputs.get('0') ?? '').trim().split('\n');
    expect(lines).toHaveLength(3);
    const [connection, ingest, events] = lines.map((l) => JSON.parse(l));
    expect(connection).toMatchObject({ name: 'paid', rules: [{ type: 'filter', body: { type: 'order.paid' } }] });
    expect(ingest).toMatchObject({ status: 'accepted', request_id: expect.stringMatching(/^req_/) });
    expect(events.count).toBe(1);
    expect(events.models[0]).toMatchObject({ request_id: ingest.request_id, status: 'SUCCESSFUL', response_status: 200 });
    const delivered = await waitFor(() => receiver.received.find((r) => r.url === '/hooks'), 10_000, 'the delivery to the receiver');
    expect(JSON.parse(delivered.body.toString())).toEqual({ type: 'order.paid', amount: 42 });
    expect(receiver.received).toHaveLength(1);
  });

  it('the presets section documents every source preset and has one example per verification scheme', () => {
    const text = section(PRESETS);
    for (const p of SOURCE_PRESETS) expect(text).toContain(`\`${p.sourceType}\``);
    expect(presetBlocks.map((b) => /type:"([A-Z_]+)"/.exec(b)?.[1]).sort()).toEqual([...schemes].sort());
  });

  it.each(schemes)('%s: the example signed as the sender does is accepted (200), the same signature on another body refused (401)', async (type) => {
    const index = presetBlocks.findIndex((b) => b.includes(`type:"${type}"`));
    const answers: Answer[] = (outputs.get(String(index + 1)) ?? '')
      .trim()
      .split('\n')
      .map((line) => {
        const m = /^(\{.*\}) (\d{3})$/.exec(line);
        if (!m) throw new Error(`not a curl -w answer: ${line}`);
        return { status: Number(m[2]), body: JSON.parse(m[1]) };
      });
    expect(answers.map((a) => a.status)).toEqual([200, 401]);
    const [ok, refused] = answers;
    expect(ok.body.status).toBe('accepted');
    expect(refused.body.error?.code).toBe('VERIFICATION_FAILED');

    // The requests log says the same, on a source of the documented type.
    const accepted = await hub.api('get', `/api/v1/requests/${ok.body.request_id}`, key);
    expect(accepted.body).toMatchObject({ status: 'accepted', verified: true });
    const rejected = await hub.api('get', `/api/v1/requests/${refused.body.error!.details.request_id}`, key);
    expect(rejected.body).toMatchObject({ status: 'rejected', source_id: accepted.body.source_id });
    expect(rejected.body.rejection_cause).toMatch(/does not match/);
    const source = await hub.api('get', `/api/v1/sources/${accepted.body.source_id}`, key);
    expect(source.body).toMatchObject({ type, config: { auth_type: SOURCE_PRESETS.find((p) => p.sourceType === type)!.authType } });
    expect(JSON.stringify(source.body)).not.toContain('webhook_secret_key');
  });
});
