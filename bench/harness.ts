import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import pg from 'pg';

/** Set-up shared by the benches that run Wirehub against a sink: knobs, a fresh database, the sink child, the API. */

/** A positive number from the environment, or the fallback when unset; anything else is a mistake worth stopping for. */
export function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be a positive number`);
  return v;
}

/** BENCH_WIREHUB_ENV=`A=1,B=2`: extra environment for the Wirehub under test. */
export function benchWirehubEnv(): Record<string, string> {
  return Object.fromEntries(
    (process.env.BENCH_WIREHUB_ENV ?? '')
      .split(',')
      .filter((kv) => kv.includes('='))
      .map((kv) => [kv.slice(0, kv.indexOf('=')).trim(), kv.slice(kv.indexOf('=') + 1).trim()]),
  );
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** One JSON call to a Wirehub's /api/v1; a non-2xx answer throws with its body. */
export async function api<T>(base: string, method: string, url: string, token: string | null, body?: unknown): Promise<T> {
  const res = await fetch(`${base}/api/v1${url}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url} answered ${res.status}: ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** Creates an empty database `<prefix>_<time>_<pid>` on the server; answers its URL, name and the server's version. */
export async function freshDatabase(serverUrl: string, prefix: string): Promise<{ url: string; name: string; version: string; host: string }> {
  const name = `${prefix}_${Date.now()}_${process.pid}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
    const version = (await admin.query<{ server_version: string }>('SHOW server_version')).rows[0].server_version;
    const u = new URL(serverUrl);
    u.pathname = `/${name}`;
    return { url: u.toString(), name, version, host: u.host };
  } finally {
    await admin.end();
  }
}

export async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/**
 * Runs `file --sink` as a child with an IPC channel and waits for its `{type: 'ready', port}`.
 * The child is handed over at once (`onChild`) so that an abort can kill it while it starts.
 */
export async function forkSink(file: string, onChild: (child: ChildProcess) => void): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(file, ['--sink'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  onChild(child);
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`sink exited (${code})`)));
    child.on('message', (m: { type?: string; port?: number }) => m.type === 'ready' && typeof m.port === 'number' && resolve(m.port));
  });
  return { child, port };
}

export type WirehubRole = 'all' | 'api' | 'worker';
export type WirehubProcess = {
  child: ChildProcess;
  pid: number;
  /** http://127.0.0.1:<port> */
  base: string;
  tag: string;
  /** kill -9, and no "exited unexpectedly" for it. */
  kill(): void;
  /** SIGTERM (a graceful stop), SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
};
export type StartWirehubOptions = {
  /** Names the process in the output and its data dir (default: the role). */
  tag?: string;
  /** The database of this process (default: the bench's own; '' for embedded). */
  databaseUrl?: string;
  /** Environment under BENCH_WIREHUB_ENV (the bench's knobs win). */
  defaults?: Record<string, string>;
  /** Environment over BENCH_WIREHUB_ENV (what a phase cannot do without). */
  env?: Record<string, string>;
  /** Stop echoing its log once it is up (a phase that makes receivers fail on purpose). */
  quiet?: boolean;
};
/** Starts one Wirehub process and waits until it answers /healthz. */
export type StartWirehub = (role: WirehubRole, o?: StartWirehubOptions) => Promise<WirehubProcess>;

/**
 * The node arguments that run Wirehub as `npm start` does in the checkout `dir`: its one-file bundle
 * (built first when its sources are newer), or, for revisions from before the bundle, the sources
 * through tsx. Benches measure what users run: the bundle holds ~50 MB less than tsx.
 */
export function wirehubEntry(dir: string): string[] {
  if (!fs.existsSync(path.join(dir, 'scripts/build-server-if-needed.mjs'))) return ['--import', 'tsx', 'server/main.ts'];
  const built = spawnSync(process.execPath, ['scripts/build-server-if-needed.mjs'], { cwd: dir, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`could not bundle the server in ${dir}: ${built.stderr}`);
  // The node flags and entry of the checkout's own `npm start` (its last command), so a bench runs
  // what users run, heap cap included.
  const start = (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
  const [cmd, ...args] = (start.split('&&').pop() ?? '').trim().split(/\s+/);
  return cmd === 'node' && args.length > 0 ? args : ['--enable-source-maps', 'server/dist/main.mjs'];
}
