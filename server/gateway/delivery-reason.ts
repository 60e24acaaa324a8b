import { STATUS_CODES } from 'node:http';
import type { EventStatus } from '../db/schema.ts';
import type { ConnectionLabel } from './log-labels.ts';
import type { RetryRuleT } from './rules.ts';

/** An event's last outcome as the events table keeps it (no attempt body is read). */
export type EventState = {
  status: EventStatus;
  attempts: number;
  next_attempt_at: Date | null;
  response_status: number | null;
  error_code: string | null;
};

const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`.replace('.0 s', ' s');

/** What went wrong, in a sentence a marketer reads without the docs. Null when nothing went wrong (yet). */
export function plainReason(e: EventState, conn: ConnectionLabel | undefined): string | null {
  if (e.status === 'SUCCESSFUL') return null;
  const timeout = conn?.timeout_ms ?? 10_000;
  if (e.response_status !== null && (e.error_code === null || e.error_code === 'HTTP_STATUS' || e.error_code === 'AUTH')) {
    const words = STATUS_CODES[e.response_status];
    const answered = `the receiver answered ${e.response_status}${words ? ` ${words}` : ''}`;
    return e.error_code === 'AUTH' ? `${answered}: it refused the credentials` : answered;
  }
  switch (e.error_code) {
    case null:
      break;
    case 'TIMEOUT':
      return `the receiver did not answer within ${seconds(timeout)}`;
    case 'CONNECTION_REFUSED':
      return 'the address could not be reached (nothing accepts connections there)';
    case 'CONNECTION_RESET':
      return 'the receiver closed the connection before answering';
    case 'DNS':
      return 'the address could not be found (no such host name)';
    case 'TLS':
      return 'no secure connection could be made to the receiver (its certificate or TLS failed)';
    case 'NETWORK':
      return 'the address could not be reached';
    case 'PRIVATE_ADDRESS':
      return 'the address is on a private network, which this hub does not deliver to';
    case 'AUTH':
      return 'the receiver refused the credentials: check the account connected to this destination';
    case 'CONFIG':
      return 'the destination is not set up completely: open it and check its settings';
    case 'PAYLOAD':
      return 'the event could not be turned into what the destination takes (a mapping or a missing field)';
    case 'SCHEMA_DRIFT':
      return 'the destination changed since it was set up (a renamed column or field?)';
    case 'TRANSFORMATION_FAILED':
      return 'the transformation code failed, so nothing was sent';
    case 'TRANSFORMATION_FILTERED':
      return 'the filter after the transformation turned it away, so nothing was sent';
    case 'QUARANTINED':
      return 'delivering it stopped the worker several times, so it was set aside';
    default:
      return `delivery failed (${e.error_code})`;
  }
  if (e.status === 'HOLD') {
    if (conn?.paused) return 'the connection is paused, and it is delivered when you resume it';
    if (conn?.destination_disabled)
      return `the destination is disabled${conn.destination_disabled_reason ? ` (${conn.destination_disabled_reason})` : ''}, and it is delivered when you enable it`;
    return 'on hold';
  }
  if ((e.status === 'QUEUED' || e.status === 'SCHEDULED') && conn?.circuit_open) {
    return 'the receiver kept failing, so deliveries wait until a test delivery gets through';
  }
  return null;
}

export type RetryPlan = { at: Date; attempt: number; of: number };

/**
 * When the next automatic attempt goes and which one it is, for an event that failed and waits.
 * The total is the connection's retry rule (count retries after the first try) or the hub's
 * schedule (retry-policy.ts), never less than the attempt coming.
 */
export function retryPlan(e: EventState, conn: ConnectionLabel | undefined, schedule: number[]): RetryPlan | null {
  if (e.status !== 'SCHEDULED' || e.attempts === 0 || !e.next_attempt_at) return null;
  const rule = conn?.rules.find((r): r is RetryRuleT => r.type === 'retry');
  const attempt = e.attempts + 1;
  const of = (rule ? rule.count : schedule.length) + 1;
  return { at: e.next_attempt_at, attempt, of: Math.max(of, attempt) };
}
