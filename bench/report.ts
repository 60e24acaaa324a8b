import { percentile, type LoadResult } from './load.ts';

/** Number and table formatting for the benches' printouts. */

export const fmt = (v: number, digits = 1) =>
  Number.isFinite(v) ? v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '—';
export const fmtInt = (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '—');
export const errorsText = (m: Map<string, number>) => (m.size === 0 ? 'none' : [...m].map(([k, v]) => `${k} ×${v}`).join(', '));

export function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r: string[]) => `| ${r.map((cell, c) => cell.padEnd(widths[c])).join(' | ')} |`;
  const sep = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  return [line(rows[0]), sep, ...rows.slice(1).map(line)].join('\n');
}

/** One line on an open-loop run: offered, accepted, answer latency, errors, the generator's own lag. */
export const ingestLine = (r: LoadResult) =>
  `offered ${fmtInt(r.rate)}/s × ${r.seconds} s: accepted ${fmtInt(r.accepted)}/${fmtInt(r.offered)} = ${fmtInt(r.acceptedPerSec)}/s, ` +
  `latency p50 ${fmt(percentile(r.latency, 50))} ms, p99 ${fmt(percentile(r.latency, 99))} ms, max ${fmt(r.latency[r.latency.length - 1] ?? NaN)} ms; ` +
  `errors: ${errorsText(r.errors)}; generator lag p99 ${fmt(r.lagP99)} ms`;

/** The headline figures of one run, written to BENCH_JSON for bench:compare. */
export type BenchFigures = {
  database: 'postgresql' | 'embedded';
  ingestPausedPerSec: number;
  drainPerSec: number;
  ingestPerSec: number;
  ingestP99Ms: number;
  e2eP50Ms: number;
  e2eP99Ms: number;
  wirehubCpuMsPerEvent: number;
  postgresCpuMsPerEvent: number;
  peakRssMb: number;
  /** RSS two seconds after start, before any request (absent from older revisions' runs). */
  idleRssMb?: number;
  ledgerOk: boolean;
};
