/**
 * Wirehub CPU per accepted publish (issue 15, item 7), and where it goes.
 *
 *   node --import tsx bench/publish-profile.ts            # embedded database
 *   DATABASE_URL=postgres://… node --import tsx bench/publish-profile.ts
 *   BENCH_PROFILE=/tmp/pubprof …   # also writes V8 CPU profiles of the hub's threads into that folder (the largest is the main thread)
 *
 * The hub runs in a child process (its CPU read from /proc, so the load generator's own CPU is not
 * counted) with delivery paused on its webhook, so the figure is the API's: authenticate, validate,
 * route, store. Prints µs of Wirehub CPU per accepted publish over N publishes (BENCH_N, default
 * 20,000) at 32 in flight.
 *
 *   BENCH_ENDPOINT=ingest …   # the same for requests to a source's /e/ URL (a source with no connection: stored, routed nowhere)
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { wirehubEntry } from './harness.ts';

// BENCH_WIREHUB_DIR: run another checkout's hub (e.g. a worktree of the revision to compare with).
const root = process.env.BENCH_WIREHUB_DIR ?? path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const N = Number(process.env.BENCH_N ?? 20_000);
const CONCURRENCY = 32;
const clk = 100; // USER_HZ on Linux

function cpuMs(pid: number): number {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(f[11]) + Number(f[12])) / clk) * 1000;
}

async function main() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wirehub-pubprof-'));
  const profile = process.env.BENCH_PROFILE;
  const args = [...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : []), ...wirehubEntry(root)];
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: {
      ...process.env,
      PORT: '0',
      WIREHUB_DATA_DIR: dataDir,
      WIREHUB_ALLOW_PRIVATE_DESTINATIONS: 'true',
      LOG_LEVEL: 'info',
      WIREHUB_API_RATE_LIMIT: '100000000',
      ...(process.env.DATABASE_URL ? { WIREHUB_DB_SCHEMA: `pubprof_${process.pid}` } : {}),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const m = /"url":"(http:[^"]+)"/.exec(buf);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`hub exited ${code}`)));
  });
  child.stdout!.resume();
  const call = async <T>(method: string, p: string, token: string | null, body?: unknown): Promise<T> => {
    const res = await fetch(`${url}/api/v1${p}`, {
      method,
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  const signup = await call<{ token: string }>('POST', '/auth/signup', null, {
    email: `b${Date.now()}@example.test`,
    password: 'correct horse battery',
    name: 'Bench',
    workspace: 'Bench',
  });
  const { key } = await call<{ key: string }>('POST', '/api-keys', signup.token, { name: 'bench', scopes: ['read', 'write'] });
  const hook = await call<{ id: string }>('POST', '/webhooks', key, {
    name: 'bench',
    url: 'http://127.0.0.1:9/never',
    events: ['lead.captured'],
    mappings: [
      { to: 'email', expression: '$lowercase(data.email)' },
      { to: 'seq', from: 'data.seq' },
    ],
  });
  await call('POST', `/webhooks/${hook.id}/pause`, key);
  const ingest = process.env.BENCH_ENDPOINT === 'ingest';
  const source = ingest ? await call<{ id: string }>('POST', '/sources', key, { name: 'bench' }) : null;
  await new Promise((r) => setTimeout(r, 1_100));

  const pool = new Pool(url, { connections: CONCURRENCY, pipelining: 1 });
  const body = (s: number) =>
    `{"eventType":"lead.captured","customerId":"cus_bench","data":{"name":"Jane Smith","email":"Jane.Smith+${s}@Example.com","phone":"+15555550123","seq":${s}}}`;
  const run = async (n: number) => {
    let next = 0;
    let ok = 0;
    let firstBad = '';
    const worker = async () => {
      while (next < n) {
        const s = next++;
        const res = source
          ? await pool.request({ method: 'POST', path: `/e/${source.id}`, headers: { 'content-type': 'application/json' }, body: body(s) })
          : await pool.request({
              method: 'POST',
              path: '/api/v1/publish',
              headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
              body: body(s),
            });
        await res.body.dump();
        if (res.statusCode === (source ? 200 : 202)) ok++;
        else if (!firstBad) firstBad = `${res.statusCode}`;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    if (firstBad) console.log(`answers other than 202, the first: ${firstBad}`);
    return ok;
  };
  await run(2_000); // warm-up: JIT, caches, pool
  const c0 = cpuMs(child.pid!);
  const t0 = performance.now();
  const ok = await run(N);
  const secs = (performance.now() - t0) / 1000;
  const used = cpuMs(child.pid!) - c0;
  const what = ingest ? 'ingest request' : 'publish';
  console.log(
    `${what}: ${ok} of ${N} accepted in ${secs.toFixed(1)} s (${Math.round(ok / secs)}/s); Wirehub ${Math.round((used * 1000) / ok)} µs CPU per accepted ${what}${ingest ? '' : ' (goal ≤ 300)'}`,
  );
  await pool.close();
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  fs.rmSync(dataDir, { recursive: true, force: true });
}

await main();
