/**
 * Do the embedded database's memory settings cost speed? `node --import tsx bench/pglite-settings.ts [rounds]`
 *
 * Runs one fixed workload shaped like the relay's (multi-row inserts of 512-byte bodies with a
 * jsonb column and two indexes, then claim-style updates by key and index scans) on a copy of one
 * data dir, in a fresh child process per run, for each variant alternately (A B C A B C …). Prints
 * CPU time (user + system of the whole process, which a busy machine distorts far less than wall
 * time) and wall time of a first pass (start-up and WebAssembly compilation included) and a second
 * (steady state), and RSS at the end and at peak (VmHWM). Variants: PGlite's defaults, the
 * settings Wirehub uses (server/db/database.ts EMBEDDED_SETTINGS), and those with V8 flags that
 * cut WebAssembly compilation memory.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROWS = 20_000;
const BATCH = 100;

if (process.argv[2] === '--child') {
  const [dir, settingsJson] = process.argv.slice(3);
  const settings = JSON.parse(settingsJson) as Record<string, string>;
  const { PGlite } = await import('@electric-sql/pglite');
  const startParams = [...PGlite.defaultStartParams, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const db = await PGlite.create({ dataDir: dir, startParams });
  const body = Buffer.alloc(512, 'x').toString('hex');
  /** One pass: ROWS inserted BATCH at a time, claimed BATCH at a time, then index scans. */
  const pass = async (table: string) => {
    await db.exec(`CREATE TABLE ${table} (id bigserial PRIMARY KEY, team int NOT NULL, status text NOT NULL, attrs jsonb NOT NULL, body bytea NOT NULL, created timestamptz NOT NULL DEFAULT now());
      CREATE INDEX ${table}_claim ON ${table} (status, id); CREATE INDEX ${table}_team ON ${table} (team, created DESC)`);
    for (let i = 0; i < ROWS; i += BATCH) {
      await db.query(
        `INSERT INTO ${table} (team, status, attrs, body) SELECT g % 7, 'queued', jsonb_build_object('seq', g, 'kind', 'lead.captured'), decode($1, 'hex') FROM generate_series($2::int, $3::int) g`,
        [body, i, i + BATCH - 1],
      );
    }
    for (let i = 0; i < ROWS / BATCH; i++) {
      await db.query(`UPDATE ${table} SET status = 'delivered' WHERE id IN (SELECT id FROM ${table} WHERE status = 'queued' ORDER BY id LIMIT ${BATCH})`);
    }
    for (let i = 0; i < 200; i++) await db.query(`SELECT id, attrs FROM ${table} WHERE team = $1 ORDER BY created DESC LIMIT 50`, [i % 7]);
    await db.query(`SELECT count(*), sum(length(body)) FROM ${table}`);
  };
  await pass('w1');
  const cpu1 = process.cpuUsage(cpu0);
  // The second pass is the steady state: WebAssembly compiled (and tiered up where V8 does).
  const t1 = performance.now();
  await pass('w2');
  const cpu2 = process.cpuUsage(cpu0);
  const ms = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1000;
  const cpu = { first: ms(cpu1), second: ms(cpu2) - ms(cpu1) };
  const wall = { first: t1 - t0, second: performance.now() - t1 };
  const status = fs.readFileSync('/proc/self/status', 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  console.log(
    JSON.stringify({ cpuMs: cpu.first, cpu2Ms: cpu.second, wallMs: wall.first, wall2Ms: wall.second, rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 }),
  );
  await db.close();
  process.exit(0);
}

const { EMBEDDED_SETTINGS, createEmbeddedDataDir } = await import('../server/db/database.ts');
const variants: { name: string; settings: Record<string, string>; nodeArgs: string[] }[] = [
  { name: 'PGlite defaults (128MB shared_buffers)', settings: {}, nodeArgs: [] },
  { name: 'Wirehub settings', settings: { ...EMBEDDED_SETTINGS }, nodeArgs: [] },
  { name: 'Wirehub settings, --wasm-num-compilation-tasks=1', settings: { ...EMBEDDED_SETTINGS }, nodeArgs: ['--wasm-num-compilation-tasks=1'] },
  { name: 'Wirehub settings, --liftoff-only', settings: { ...EMBEDDED_SETTINGS }, nodeArgs: ['--liftoff-only'] },
];
const rounds = Number(process.argv[2] ?? 2);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'wirehub-pglite-settings-'));
try {
  // One initdb, copied for every run, so that each starts from the same files.
  const template = path.join(work, 'template');
  await createEmbeddedDataDir(template);
  type Run = { cpuMs: number; cpu2Ms: number; wallMs: number; wall2Ms: number; rssMb: number; hwmMb: number };
  const results = new Map<string, Run[]>(variants.map((v) => [v.name, []]));
  for (let r = 0; r < rounds; r++) {
    for (const v of variants) {
      const dir = path.join(work, `run-${r}`);
      fs.rmSync(dir, { recursive: true, force: true });
      fs.cpSync(template, dir, { recursive: true });
      const out = spawnSync(process.execPath, [...v.nodeArgs, '--import', 'tsx', import.meta.filename, '--child', dir, JSON.stringify(v.settings)], {
        encoding: 'utf8',
      });
      if (out.status !== 0) throw new Error(`${v.name}: ${out.stderr}`);
      const run = JSON.parse(out.stdout.trim().split('\n').at(-1) ?? '{}') as Run;
      results.get(v.name)?.push(run);
      console.log(
        `round ${r + 1} ${v.name.padEnd(52)} CPU ${Math.round(run.cpuMs)} + ${Math.round(run.cpu2Ms)} ms, wall ${Math.round(run.wallMs)} + ${Math.round(run.wall2Ms)} ms, RSS ${Math.round(run.rssMb)} MB, peak ${Math.round(run.hwmMb)} MB`,
      );
    }
  }
  console.log(
    `\nfirst pass (start-up, compilation included) + second pass (steady state), each ${ROWS} rows inserted ${BATCH} at a time, claimed by ${BATCH}, 200 index scans; median of ${rounds}:`,
  );
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor((v.length - 1) / 2)];
  for (const [name, runs] of results) {
    console.log(
      `  ${name.padEnd(52)} CPU ${Math.round(median(runs.map((x) => x.cpuMs)))} + ${Math.round(median(runs.map((x) => x.cpu2Ms)))} ms, wall ${Math.round(median(runs.map((x) => x.wallMs)))} + ${Math.round(median(runs.map((x) => x.wall2Ms)))} ms, ` +
        `RSS ${Math.round(median(runs.map((x) => x.rssMb)))} MB, peak ${Math.round(median(runs.map((x) => x.hwmMb)))} MB`,
    );
  }
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
