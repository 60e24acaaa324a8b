/**
 * Health probe throughput: `npm run bench:health`.
 *
 * Starts Wirehub (`node --import tsx server/main.ts`, API + jobs in one process) on real
 * PostgreSQL when DATABASE_URL is set (a fresh database `wirehub_bench_health_*`, dropped at the
 * end), else on the embedded database in a temporary data dir; then this process sends
 * `GET /api/health` back to back over BENCH_CONNECTIONS keep-alive connections for
 * BENCH_SECONDS and prints requests/s and latency percentiles. Every answer must be a 200: a
 * probe that turns 503 under its own load would page somebody for nothing.
 *
 * Knobs (env): BENCH_SECONDS=10  BENCH_CONNECTIONS=16
 *
 * Measured on the shared 2-core machine (8 s, 16 connections, load generator on the same cores):
 * embedded PGlite 4,770 requests/s, p50 2.1 ms, p99 18.6 ms; PostgreSQL 15 5,280 requests/s,
 * p50 1.9 ms, p99 18.4 ms; all 200. A status page polling every few seconds costs nothing.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { Pool } from 'undici';
import { wirehubEntry } from './harness.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function main() {
  const server = process.env.DATABASE_URL;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wirehub-bench-health-'));
  let databaseUrl: string | undefined;
  let dbName: string | undefined;
  if (server) {
    dbName = `wirehub_bench_health_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: server });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${dbName}`);
    await admin.end();
    const url = new URL(server);
    url.pathname = `/${dbName}`;
    databaseUrl = url.toString();
  }
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, wirehubEntry(path.resolve(import.meta.dirname, '..')), {
    cwd: path.resolve(import.meta.dirname, '..'),
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', WIREHUB_DATA_DIR: dataDir, DATABASE_URL: databaseUrl ?? '' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const cleanup = async () => {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    fs.rmSync(dataDir, { recursive: true, force: true });
    if (server && dbName) {
      const admin = new pg.Client({ connectionString: server });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await admin.end();
    }
  };
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const ok = await fetch(`${base}/api/health`, { signal: AbortSignal.timeout(1000) }).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ok) break;
      if (Date.now() > deadline) throw new Error('wirehub did not turn healthy within 60 s');
      await sleep(200);
    }

    const pool = new Pool(base, { connections: CONNECTIONS, pipelining: 1 });
    const latencies: number[] = [];
    const statuses = new Map<number, number>();
    const end = performance.now() + SECONDS * 1000;
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        while (performance.now() < end) {
          const t0 = performance.now();
          const res = await pool.request({ method: 'GET', path: '/api/health' });
          await res.body.text();
          latencies.push(performance.now() - t0);
          statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;
    await pool.close();
    const cpu = process.cpuUsage(cpuBefore);
    latencies.sort((a, b) => a - b);
    const db = server ? 'PostgreSQL' : 'embedded PGlite';
    console.log(`health bench (${db}, ${CONNECTIONS} connections, ${SECONDS} s):`);
    console.log(`  ${latencies.length} requests, ${(latencies.length / elapsed).toFixed(0)} requests/s`);
    console.log(`  latency ms: p50 ${pct(latencies, 50).toFixed(2)}  p99 ${pct(latencies, 99).toFixed(2)}  max ${latencies[latencies.length - 1].toFixed(2)}`);
    console.log(`  statuses: ${[...statuses].map(([s, n]) => `${s}×${n}`).join(', ')}`);
    console.log(`  load generator CPU: ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s`);
    if ([...statuses.keys()].some((s) => s !== 200)) process.exitCode = 1;
  } finally {
    await cleanup();
  }
}

await main();
