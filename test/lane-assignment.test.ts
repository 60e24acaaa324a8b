import { describe, expect, it } from 'vitest';
import { assignLanes, lockNamespace } from '../server/delivery/lane-coordinator.ts';

/** Worker ids are PostgreSQL backend pids: close together, as a busy server hands them out. */
const pids = (n: number, from: number) => Array.from({ length: n }, (_, i) => from + i * 3);

function ownerOf(assignment: Map<number, number[]>): Map<number, number> {
  const owner = new Map<number, number>();
  for (const [worker, lanes] of assignment) for (const lane of lanes) owner.set(lane, worker);
  return owner;
}

/** Lanes whose owner differs between two assignments. */
function moved(before: Map<number, number[]>, after: Map<number, number[]>): number {
  const a = ownerOf(before);
  const b = ownerOf(after);
  return [...a].filter(([lane, worker]) => b.get(lane) !== worker).length;
}

describe('assignLanes: which worker runs which delivery lane', () => {
  it('gives every lane exactly one worker, and every worker floor or ceil of lanes/n', () => {
    for (const lanes of [4, 64]) {
      for (let n = 1; n <= 5; n++) {
        for (const from of [100, 4242, 31_000]) {
          const assignment = assignLanes(lanes, pids(n, from));
          expect([...assignment.keys()].sort()).toEqual(pids(n, from).sort());
          const all = [...assignment.values()].flat().sort((a, b) => a - b);
          expect(all, `${lanes} lanes over ${n} workers`).toEqual(Array.from({ length: lanes }, (_, i) => i));
          for (const mine of assignment.values()) {
            expect(mine.length).toBeGreaterThanOrEqual(Math.floor(lanes / n));
            expect(mine.length).toBeLessThanOrEqual(Math.ceil(lanes / n));
          }
        }
      }
    }
  });

  it('is the same answer on every worker: the order and repetitions of the live list do not matter', () => {
    const workers = [907, 12, 455, 3001];
    const expected = assignLanes(64, workers);
    expect(assignLanes(64, [...workers].reverse())).toEqual(expected);
    expect(assignLanes(64, [3001, 12, 12, 907, 455, 907])).toEqual(expected);
    expect(assignLanes(4, [])).toEqual(new Map());
  });

  it('moves about lanes/n lanes when a worker joins or leaves, not all of them', () => {
    for (const lanes of [4, 64]) {
      let total = 0;
      let ideal = 0;
      for (let n = 1; n <= 4; n++) {
        for (let trial = 0; trial < 50; trial++) {
          const workers = pids(n, 1000 + trial * 17);
          const before = assignLanes(lanes, workers);
          // One joins: it takes its share, and few others change hands to keep the balance.
          const joined = moved(before, assignLanes(lanes, [...workers, 999_999 - trial]));
          const share = Math.ceil(lanes / (n + 1));
          expect(joined).toBeGreaterThanOrEqual(Math.floor(lanes / (n + 1)));
          expect(joined, `${lanes} lanes, ${n} → ${n + 1} workers`).toBeLessThanOrEqual(lanes === 4 ? 3 : Math.ceil(share * 1.8));
          total += joined;
          ideal += lanes / (n + 1);
          if (n === 1) continue;
          // One leaves: its lanes go to the others, and few more.
          const left = moved(before, assignLanes(lanes, workers.slice(1)));
          expect(left).toBeGreaterThanOrEqual(before.get(workers[0])!.length);
          expect(left, `${lanes} lanes, ${n} → ${n - 1} workers`).toBeLessThanOrEqual(lanes === 4 ? 3 : Math.ceil(Math.ceil(lanes / n) * 1.8));
          total += left;
          ideal += lanes / n;
        }
      }
      // On average close to the least a balanced assignment must move (all lanes moving would be ~2.5×).
      expect(total / ideal, `${lanes} lanes: moved ${total}, ideal ${ideal.toFixed(0)}`).toBeLessThan(1.3);
    }
  });

  it('keys advisory locks by schema: a positive int31, different for different schemas', () => {
    const a = lockNamespace('public');
    const b = lockNamespace('t_0a1b2c3d4e5f');
    for (const ns of [a, b]) {
      expect(Number.isInteger(ns)).toBe(true);
      expect(ns).toBeGreaterThan(0);
      expect(ns).toBeLessThanOrEqual(0x7fffffff);
    }
    expect(a).not.toBe(b);
    expect(lockNamespace('public')).toBe(a);
  });
});
