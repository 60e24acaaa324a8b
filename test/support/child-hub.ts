import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { inject } from 'vitest';
import { waitFor } from './hub.ts';

/** Wirehub as a real child process (`node --import tsx server/main.ts`), for tests that kill it. */
export type ChildHub = { child: ChildProcess; url: string; output: string[]; exited: Promise<number | null> };

const ROOT = path.resolve(import.meta.dirname, '../..');

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export function tail(lines: string[], n = 40): string {
  return lines.slice(-n).join('').trimEnd();
}

/**
 * The environment of a child hub on this run's database (its own schema on a server, a copy of
 * the migrated template when embedded), built from scratch so nothing of this process leaks in.
 */
export function childEnv(opts: { port: number; dataDir: string; schema: string; extra?: Record<string, string> }): Record<string, string> {
  const databaseUrl = inject('databaseUrl');
  const templateDir = inject('templateDir');
  if (!databaseUrl && templateDir && !fs.existsSync(path.join(opts.dataDir, 'pg'))) {
    fs.cpSync(path.join(templateDir, 'pg'), path.join(opts.dataDir, 'pg'), { recursive: true });
  }
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? os.homedir(),
    TMPDIR: os.tmpdir(),
    PORT: String(opts.port),
    LOG_LEVEL: 'warn',
    WIREHUB_ALLOW_PRIVATE_DESTINATIONS: 'true',
    WIREHUB_DATA_DIR: opts.dataDir,
    // As startTestHub: the overload bound is tested on its own (ingest-overload.test.ts).
    WIREHUB_INGEST_MAX_WAIT_MS: '10000',
    WIREHUB_INGEST_MAX_LAG_MS: '0',
    WIREHUB_INGEST_MAX_LOOP_BUSY_PERCENT: '0',
    WIREHUB_INGEST_MAX_HEAP_PERCENT: '0',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl, WIREHUB_DB_SCHEMA: opts.schema } : {}),
    ...opts.extra,
  };
}

/** Starts `node --import tsx server/main.ts` with exactly the given environment and waits for health. */
/** `startTimeoutMs`: a first start on a fresh embedded data dir runs initdb, far slower on a busy machine. */
/** `args`: what node runs, by default the sources through tsx (npm start's bundle: ['server/dist/main.mjs']). */
export async function startChildHub(
  env: Record<string, string>,
  port: number,
  startTimeoutMs = 60_000,
  args = ['--import', 'tsx', 'server/main.ts'],
): Promise<ChildHub> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 500) output.splice(0, output.length - 500);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let dead = false;
  void exited.then(() => (dead = true));

  const url = `http://127.0.0.1:${port}`;
  await waitFor(
    async () => {
      if (dead) throw new Error(`wirehub exited during start-up (code ${child.exitCode}, signal ${child.signalCode}):\n${tail(output)}`);
      try {
        const res = await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(2000) });
        await res.body?.cancel();
        return res.status === 200;
      } catch {
        return false;
      }
    },
    startTimeoutMs,
    'wirehub to answer /api/health',
  );
  return { child, url, output, exited };
}

export async function killHard(hub: ChildHub | undefined): Promise<void> {
  if (!hub || hub.child.exitCode !== null || hub.child.signalCode !== null) return;
  hub.child.kill('SIGKILL');
  await hub.exited;
}

/** A JSON call that must answer 200 or 201. */
export async function call<T>(url: string, method: string, body: unknown, token?: string): Promise<T> {
  const res = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(method === 'GET' ? {} : { body: JSON.stringify(body) }),
  });
  const json = (await res.json()) as T;
  if (res.status !== 201 && res.status !== 200) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}
