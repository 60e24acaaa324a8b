import { describe, expect, it } from 'vitest';
import { AdmissionLimit } from '../server/ingest/admission-limit.ts';

/** A limit on a clock the test moves, its windows ended by hand with the loop's busy share. */
function limitAt(maxBusy: number) {
  let t = 0;
  const limit = new AdmissionLimit(maxBusy, () => t, true);
  const admitFor = (ms: number, offeredPerS: number) => {
    let admitted = 0;
    const step = 1000 / offeredPerS;
    for (let at = 0; at < ms; at += step) {
      t += step;
      if (limit.admit()) admitted++;
    }
    return admitted;
  };
  return { limit, admitFor };
}

describe('the admission limit (ingest under overload)', () => {
  it('admits everything while the loop has room', () => {
    const { limit, admitFor } = limitAt(0.9);
    for (let w = 0; w < 20; w++) {
      expect(admitFor(100, 5000)).toBe(500);
      limit.adapt(0.5);
    }
    expect(limit.limit).toBe(Infinity);
  });

  it('cuts below what a busy window admitted, refuses beyond it, and grows back once the loop has room', () => {
    const { limit, admitFor } = limitAt(0.9);
    admitFor(100, 5000);
    limit.adapt(0.97);
    expect(limit.limit).toBeCloseTo(4500, -1);
    // Offered 5,000/s against an allowance of 4,500/s: a tenth is refused.
    expect(admitFor(100, 5000)).toBeGreaterThanOrEqual(448);
    expect(admitFor(0, 5000)).toBe(0);
    limit.adapt(0.97);
    expect(limit.limit).toBeLessThan(4500);
    const cut = limit.limit;
    // Between the two thresholds it holds.
    admitFor(100, 5000);
    limit.adapt(0.8);
    expect(limit.limit).toBe(cut);
    // With room, it grows a fifth a window until it is no limit at all.
    let windows = 0;
    while (limit.limit !== Infinity && windows < 50) {
      admitFor(100, 5000);
      limit.adapt(0.5);
      windows++;
    }
    expect(limit.limit).toBe(Infinity);
    expect(windows).toBeLessThan(20);
  });

  it('keeps a floor while the loop stays busy, and never limits when switched off', () => {
    const { limit, admitFor } = limitAt(0.9);
    for (let w = 0; w < 100; w++) {
      admitFor(100, 5000);
      limit.adapt(1);
    }
    expect(limit.limit).toBe(100);
    expect(admitFor(1000, 5000)).toBeGreaterThanOrEqual(100);
    const off = limitAt(0);
    off.admitFor(100, 5000);
    off.limit.adapt(1);
    expect(off.admitFor(100, 5000)).toBe(500);
  });
});
