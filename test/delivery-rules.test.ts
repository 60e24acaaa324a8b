import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_SCHEDULE } from '../server/config.ts';
import { nextRetryDelay } from '../server/delivery/retry-policy.ts';
import { RateLimiter } from '../server/delivery/rate-limiter.ts';
import { compileFilter, statusMatches } from '../server/gateway/rules.ts';

const noJitter = () => 0;

describe('retry policy', () => {
  it('follows the default schedule (immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h), then gives up', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 8, 9].map((n) =>
      nextRetryDelay({ failedAttempts: n, rule: undefined, schedule: DEFAULT_RETRY_SCHEDULE, random: noJitter }),
    );
    expect(delays).toEqual([0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000, null]);
  });

  it('applies linear and exponential rules, their status codes, and Retry-After', () => {
    const exp = { type: 'retry' as const, strategy: 'exponential' as const, count: 3, interval: 1000 };
    expect([1, 2, 3, 4].map((n) => nextRetryDelay({ failedAttempts: n, rule: exp, schedule: [], random: noJitter }))).toEqual([1000, 2000, 4000, null]);
    const lin = { ...exp, strategy: 'linear' as const, response_status_codes: ['500-599', '!503'] };
    expect(nextRetryDelay({ failedAttempts: 2, rule: lin, schedule: [], status: 502, random: noJitter })).toBe(1000);
    expect(nextRetryDelay({ failedAttempts: 1, rule: lin, schedule: [], status: 503, random: noJitter })).toBeNull();
    expect(nextRetryDelay({ failedAttempts: 1, rule: lin, schedule: [], status: 404, random: noJitter })).toBeNull();
    expect(nextRetryDelay({ failedAttempts: 1, rule: undefined, schedule: [0], retryAfterMs: 30_000, random: noJitter })).toBe(30_000);
    const jittered = nextRetryDelay({ failedAttempts: 1, rule: exp, schedule: [], random: () => 0.99 }) as number;
    expect(jittered).toBeGreaterThan(1000);
    expect(jittered).toBeLessThanOrEqual(1100);
  });

  it('reads status code specs', () => {
    expect(statusMatches(undefined, 500)).toBeNull();
    expect(statusMatches(['429', '500-599'], 429)).toBe(true);
    expect(statusMatches(['429', '500-599'], 404)).toBe(false);
    expect(statusMatches(['!404'], 500)).toBe(true);
  });
});

describe('filters', () => {
  const req = (body: unknown, headers: Record<string, string> = {}) => ({ body, headers, query: {}, path: '/' });

  it('matches partial objects, operators, headers and logical groups', () => {
    const f = compileFilter({ body: { type: 'order.paid', customer: { tier: { $in: ['gold', 'silver'] } }, total: { $gte: 10 } } });
    expect(f(req({ type: 'order.paid', customer: { tier: 'gold', id: 1 }, total: 12, other: true }))).toBe(true);
    expect(f(req({ type: 'order.paid', customer: { tier: 'bronze' }, total: 12 }))).toBe(false);
    expect(f(req({ type: 'order.paid', customer: { tier: 'gold' }, total: 2 }))).toBe(false);
    const h = compileFilter({ headers: { 'X-Event': 'push' } });
    expect(h(req({}, { 'x-event': 'push' }))).toBe(true);
    const or = compileFilter({ body: { $or: [{ type: 'a' }, { type: 'b' }] } });
    expect([or(req({ type: 'a' })), or(req({ type: 'b' })), or(req({ type: 'c' }))]).toEqual([true, true, false]);
  });

  it('refuses unknown operators when the rule is saved', () => {
    expect(() => compileFilter({ body: { a: { $foo: 1 } } })).toThrow();
  });
});

describe('rate limiter', () => {
  it('spreads deliveries evenly over the limit', () => {
    const rl = new RateLimiter();
    const waits = [0, 1, 2, 3].map((i) => rl.reserve('des_x', 2, 'second', `evt_${i}`, 1_000));
    expect(rl.reserve('des_x', 2, 'second', 'evt_2', 2_000)).toBe(0); // back at its slot: goes now
    expect(waits).toEqual([0, 500, 1000, 1500]);
    expect(rl.reserve('des_y', null, 'second')).toBe(0);
  });
});
