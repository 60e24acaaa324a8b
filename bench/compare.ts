/**
 * `npm run bench:compare <rev> [rounds]`: is this checkout faster or slower than `<rev>`?
 *
 * Checks `<rev>` out into a temporary git worktree and runs this checkout's bench
 * (bench/gateway.bench.ts) against each Wirehub alternately — base, this, base, this… — on the
 * same database server, so that the machine's drift over the sitting hits both alike. Both are
 * measured by the same harness (BENCH_WIREHUB_DIR points the bench's Wirehub child at the other
 * checkout); only the server code differs. Prints every run, the median of each side and the ratio.
 *
 * The bench runs short by default (phases 1–3, one ingest rate, no fault phases); any BENCH_* knob
 * in the environment overrides that. DATABASE_URL chooses PostgreSQL, as for `npm run bench`.
 * The worktree shares this checkout's node_modules when both lockfiles agree; otherwise it gets
 * its own `npm ci` (a minute or two). It is removed at the end, whatever happens.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fmt, table, type BenchFigures } from './report.ts';

const root = path.resolve(import.meta.dirname, '..');
const [rev, roundsArg] = process.argv.slice(2);
if (!rev) {
  console.error('usage: npm run bench:compare <rev> [rounds=2]');
  process.exit(2);
}
const rounds = Number(roundsArg ?? 2);
if (!Number.isInteger(rounds) || rounds < 1 || rounds > 10) {
  console.error('rounds must be a whole number from 1 to 10');
  process.exit(2);
}

const git = (...args: string[]) => {
  const r = spawnSync('git', args, { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr.trim()}`);
  return r.stdout.trim();
};

const SHORT: Record<string, string> = {
  BENCH_INGEST_RATES: '3000',
  BENCH_SECONDS: '10',
  BENCH_E2E_SECONDS: '5',
  BENCH_ISOLATION: '0',
  BENCH_FAILOVER: '0',
};

/** One bench run against the Wirehub in `dir`; its figures, or null when it crashed. */
function runBench(dir: string, label: string, jsonFile: string): Promise<BenchFigures | null> {
  fs.rmSync(jsonFile, { force: true });
  const env: NodeJS.ProcessEnv = { ...process.env, BENCH_WIREHUB_DIR: dir, BENCH_JSON: jsonFile };
  for (const [k, v] of Object.entries(SHORT)) env[k] ??= v;
  console.log(`\n=== ${label} (${dir}) ===`);
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'bench/gateway.bench.ts')], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // Only the summary table is worth seeing live; the whole output stays in the log file.
  const log = fs.createWriteStream(`${jsonFile}.log`);
  let inSummary = false;
  child.stdout.on('data', (chunk: Buffer) => {
    log.write(chunk);
    for (const line of chunk.toString().split('\n')) {
      if (line.startsWith('summary (')) inSummary = true;
      if (inSummary && line) console.log(line);
    }
  });
  return new Promise((resolve) => {
    child.once('exit', (code) => {
      log.end();
      if (code !== 0 || !fs.existsSync(jsonFile)) {
        console.log(`  ! the run failed (exit ${code}); its output: ${jsonFile}.log`);
        resolve(null);
      } else resolve(JSON.parse(fs.readFileSync(jsonFile, 'utf8')) as BenchFigures);
    });
  });
}

/** JSON has no NaN: a figure the run could not measure comes back as null. */
const val = (r: BenchFigures, key: keyof BenchFigures) => (typeof r[key] === 'number' ? (r[key] as number) : NaN);

const median = (v: number[]) => {
  const s = v.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const ROWS: [keyof BenchFigures, string, 'higher' | 'lower'][] = [
  ['ingestPausedPerSec', 'ingest, delivery paused (/s)', 'higher'],
  ['drainPerSec', 'delivery drain (/s)', 'higher'],
  ['ingestPerSec', 'ingest with delivery running (/s)', 'higher'],
  ['ingestP99Ms', '  its p99 (ms)', 'lower'],
  ['e2eP50Ms', 'end-to-end p50 (ms)', 'lower'],
  ['e2eP99Ms', 'end-to-end p99 (ms)', 'lower'],
  ['wirehubCpuMsPerEvent', 'Wirehub CPU-ms per relayed event', 'lower'],
  ['postgresCpuMsPerEvent', 'PostgreSQL CPU-ms per relayed event', 'lower'],
  ['idleRssMb', 'Wirehub RSS idle (MB)', 'lower'],
  ['peakRssMb', 'Wirehub peak RSS (MB)', 'lower'],
];

async function main(): Promise<void> {
  const baseSha = git('rev-parse', '--verify', `${rev}^{commit}`);
  const headSha = git('rev-parse', 'HEAD');
  const dirty = git('status', '--porcelain', '--untracked-files=no') !== '';
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wirehub-compare-'));
  const baseDir = path.join(tmp, 'base');
  git('worktree', 'add', '--detach', baseDir, baseSha);
  try {
    const lock = (dir: string) => fs.readFileSync(path.join(dir, 'package-lock.json'), 'utf8');
    if (lock(baseDir) === lock(root)) fs.symlinkSync(path.join(root, 'node_modules'), path.join(baseDir, 'node_modules'));
    else {
      console.log(`${rev} has other dependencies: npm ci in its worktree…`);
      const r = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: baseDir, stdio: 'inherit' });
      if (r.status !== 0) throw new Error('npm ci failed in the base worktree');
    }
    const results: { base: BenchFigures[]; head: BenchFigures[] } = { base: [], head: [] };
    for (let i = 0; i < rounds; i++) {
      const b = await runBench(baseDir, `base ${rev} (${baseSha.slice(0, 8)}), round ${i + 1}/${rounds}`, path.join(tmp, `base-${i}.json`));
      if (b) results.base.push(b);
      const h = await runBench(
        root,
        `this checkout (${headSha.slice(0, 8)}${dirty ? ' + uncommitted changes' : ''}), round ${i + 1}/${rounds}`,
        path.join(tmp, `head-${i}.json`),
      );
      if (h) results.head.push(h);
    }
    const cell = (runs: BenchFigures[], key: keyof BenchFigures) => runs.map((r) => fmt(val(r, key), key.endsWith('PerEvent') ? 3 : 0)).join(' / ');
    const rows = [['figure', `base ${baseSha.slice(0, 8)}: runs → median`, `this ${headSha.slice(0, 8)}: runs → median`, 'this ÷ base', '']];
    for (const [key, label, better] of ROWS) {
      const mb = median(results.base.map((r) => val(r, key)));
      const mh = median(results.head.map((r) => val(r, key)));
      if (!Number.isFinite(mb) && !Number.isFinite(mh)) continue;
      const ratio = mh / mb;
      const verdict = !Number.isFinite(ratio) ? '' : Math.abs(ratio - 1) < 0.05 ? 'same (±5 %)' : ratio > 1 === (better === 'higher') ? 'better' : 'WORSE';
      const digits = key.endsWith('PerEvent') ? 3 : 0;
      rows.push([label, `${cell(results.base, key)} → ${fmt(mb, digits)}`, `${cell(results.head, key)} → ${fmt(mh, digits)}`, fmt(ratio, 2), verdict]);
    }
    const ledgers = [...results.base, ...results.head].every((r) => r.ledgerOk);
    console.log(
      `\ncompare (${results.base[0]?.database ?? results.head[0]?.database ?? '?'}; ${rounds} rounds, alternating base/this; ${os.cpus().length} cores):`,
    );
    console.log(table(rows));
    console.log(`ledgers: ${ledgers ? 'every run delivered each accepted event once' : 'a run lost or duplicated events (see its log)'}; logs in ${tmp}`);
  } finally {
    git('worktree', 'remove', '--force', baseDir);
  }
}

await main().catch((err: Error) => {
  console.error(`bench:compare failed: ${err.message}`);
  process.exit(1);
});
