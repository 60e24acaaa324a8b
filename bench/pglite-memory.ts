/**
 * Where the embedded database's memory goes (issue 15, item 5): `node --import tsx bench/pglite-memory.ts`.
 *
 * Each case runs in a child process of its own, so that every figure starts from a fresh V8 and
 * WASM heap. It opens PGlite, runs `select 1`, and prints RSS, external memory and ArrayBuffers:
 *   - in memory (initdb in this process);
 *   - a new data dir (initdb, which is what the first `npm start` does, and every bench run);
 *   - the same dir opened again (a restart);
 *   - a restart with small buffers (shared_buffers 16 MB, wal/temp buffers 1 MB, 4 connections).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const SMALL = 'shared_buffers=16MB\nwal_buffers=1MB\ntemp_buffers=1MB\nmax_connections=4';

if (process.argv[2] === '--child') {
  const { PGlite } = await import('@electric-sql/pglite');
  const dir = process.argv[3] === 'memory' ? undefined : process.argv[3];
  const db = await PGlite.create(dir, process.argv[4] === 'small' ? { postgresqlconf: SMALL } : {});
  await db.query('select 1');
  const m = process.memoryUsage();
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  const hwm = Number(/^VmHWM:\s+(\d+)/m.exec(status)?.[1] ?? NaN) / 1024;
  const mb = (v: number) => `${Math.round(v / 1048576)} MB`;
  console.log(`RSS ${mb(m.rss)} (peak ${Math.round(hwm)} MB), external ${mb(m.external)}, ArrayBuffers ${mb(m.arrayBuffers)}, JS heap ${mb(m.heapUsed)}`);
  await db.close();
  process.exit(0);
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wirehub-pglite-mem-'));
const run = (label: string, ...args: string[]) => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', import.meta.filename, '--child', ...args], { encoding: 'utf8' });
  console.log(`${label.padEnd(46)} ${(r.stdout.trim() || r.stderr.trim().split('\n').at(-1)) ?? ''}`);
};
try {
  run('in memory (initdb in this process)', 'memory');
  run('new data dir (initdb: the first start)', dir);
  run('the same dir again (a restart)', dir);
  run('a restart, small buffers', dir, 'small');
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
