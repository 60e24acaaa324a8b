import { statusMatches, type RetryRuleT } from '../gateway/rules.ts';

const MAX_DELAY_MS = 24 * 3_600_000;

/**
 * How long to wait before the next attempt after `failedAttempts` failures, or null to give up.
 * Without a retry rule the default schedule applies; a receiver's Retry-After is honoured.
 */
export function nextRetryDelay(opts: {
  failedAttempts: number;
  rule: RetryRuleT | undefined;
  schedule: number[];
  status?: number;
  retryAfterMs?: number;
  random?: () => number;
}): number | null {
  const { failedAttempts: n, rule } = opts;
  let delay: number;
  if (rule) {
    if (n > rule.count) return null;
    if (opts.status !== undefined && statusMatches(rule.response_status_codes, opts.status) === false) return null;
    delay = rule.strategy === 'linear' ? rule.interval : rule.interval * 2 ** (n - 1);
  } else {
    if (n > opts.schedule.length) return null;
    delay = opts.schedule[n - 1];
  }
  if (opts.retryAfterMs !== undefined) delay = Math.max(delay, opts.retryAfterMs);
  // Up to 10% jitter spreads out a burst of failures so the retries do not arrive as a burst too.
  if (delay >= 1000) delay += Math.floor((opts.random ?? Math.random)() * delay * 0.1);
  return Math.min(delay, MAX_DELAY_MS);
}
