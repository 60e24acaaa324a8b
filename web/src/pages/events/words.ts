import { probeTime } from '../../ui/CircuitStatus.tsx';

/** The log's vocabulary in plain words, shared by the events and requests views. */

export type RetryPlan = { at: string; attempt: number; of: number };
export type Labels = {
  event_type?: string | null;
  summary?: string | null;
  source_name?: string | null;
  connection_name?: string | null;
  destination_name?: string | null;
  flow?: { id: string; name: string } | null;
  reason?: string | null;
  retry?: RetryPlan | null;
};

/** "will retry at 14:05 (attempt 4 of 8)": HH:MM on the reader's clock, with the day when it is not today. */
export const retryText = (r: RetryPlan, now?: Date) => `will retry at ${probeTime(r.at, now)} (attempt ${r.attempt} of ${r.of})`;

/** What an event status means to someone who did not read the docs. */
export const STATUS_WORDS: Record<string, string> = {
  SUCCESSFUL: 'delivered',
  FAILED: 'failed, no more automatic retries',
  QUEUED: 'about to be delivered',
  SCHEDULED: 'waiting for its time',
  HOLD: 'on hold',
  CANCELLED: 'cancelled',
};

export const statusClass = (status: string) => (status === 'SUCCESSFUL' ? 'good' : status === 'FAILED' ? 'bad' : 'warn');

/** A request's outcome in one word (server/gateway/log-rows.ts) and how it is coloured. */
export const OUTCOME_WORDS: Record<string, [string, string]> = {
  delivered: ['Delivered', 'good'],
  failed: ['Failed', 'bad'],
  retrying: ['Failed, will retry', 'bad'],
  waiting: ['Waiting', 'warn'],
  held: ['On hold', 'warn'],
  filtered: ['Filtered out', 'muted'],
  filter_failed: ['Filter could not run', 'bad'],
  duplicate: ['Duplicate, dropped', 'muted'],
  cancelled: ['Cancelled', 'muted'],
  rejected: ['Rejected', 'bad'],
  no_connection: ['Not sent anywhere', 'warn'],
  mixed: ['Several outcomes', 'warn'],
};

/** Where an event went: the flow that made its connection, else the connection's (webhook's) name. */
export const routeName = (l: Labels) => l.flow?.name ?? l.connection_name ?? null;

export const isRequestId = (q: string) => /^req_[0-9a-z]{26}$/i.test(q.trim());
export const isEventId = (q: string) => /^evt_[0-9a-z]{26}$/i.test(q.trim());
