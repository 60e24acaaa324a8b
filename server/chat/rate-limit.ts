import { ipKeyGenerator } from 'express-rate-limit';
import { type Kysely, sql } from 'kysely';
import { AppError } from '../core/errors.ts';
import type { ChatbotRow, DB } from '../db/schema.ts';
import { DEFAULT_SETTINGS, readSettings } from './chatbot-settings.ts';

type Window = { key: string; seconds: number; limit: number; noun: string; what: string };

const MINUTE = 60;
const DAY = 86_400;

/**
 * Fixed-window counters in PostgreSQL, so every API process counts the same messages: one
 * multi-row upsert increments this message's four windows (visitor and address, per minute and
 * per day) and returns their counts. A key ends in its window length, which housekeeping reads.
 */
export function countChatMessage(db: Kysely<DB>, bot: Pick<ChatbotRow, 'id' | 'settings'>, visitorId: string, ip: string): Promise<void> {
  return countIn(db, windowsOf(bot, visitorId, ip, { visitor: 'v', address: 'ip', noun: 'messages' }));
}

const RATINGS = { visitor: 'rv', address: 'rip', noun: 'ratings' };

/**
 * Ratings have windows of their own, with the chatbot's limits: each publishes message.rated to the
 * owner's webhooks, so an anonymous caller must not be able to send them unbounded, and spending
 * them must not cost a visitor their messages. Two steps: the address's windows before anything
 * else (forged ratings are cut off too), the visitor's once the rating is known to be the
 * conversation's own visitor's (so made-up visitor ids store no counters).
 */
export function countRatingFromAddress(db: Kysely<DB>, bot: Pick<ChatbotRow, 'id' | 'settings'>, ip: string): Promise<void> {
  return countIn(
    db,
    windowsOf(bot, '', ip, RATINGS).filter((w) => w.key.startsWith(`${RATINGS.address}:`)),
  );
}

export function countRatingByVisitor(db: Kysely<DB>, bot: Pick<ChatbotRow, 'id' | 'settings'>, visitorId: string): Promise<void> {
  return countIn(
    db,
    windowsOf(bot, visitorId, '', RATINGS).filter((w) => w.key.startsWith(`${RATINGS.visitor}:`)),
  );
}

function windowsOf(
  bot: Pick<ChatbotRow, 'id' | 'settings'>,
  visitorId: string,
  rawIp: string,
  kind: { visitor: string; address: string; noun: string },
): Window[] {
  const limits = readSettings(bot.settings).rate_limits;
  const { visitor: v, address: a, noun } = kind;
  // An IPv6 client holds a whole /64: one budget for it, not one per address it can pick.
  const ip = ipKeyGenerator(rawIp);
  return [
    { key: `${v}:${bot.id}:${visitorId}:${MINUTE}`, seconds: MINUTE, limit: limits.per_minute, noun, what: `${noun} a minute from this visitor` },
    { key: `${v}:${bot.id}:${visitorId}:${DAY}`, seconds: DAY, limit: limits.per_day, noun, what: `${noun} a day from this visitor` },
    {
      key: `${a}:${bot.id}:${ip}:${MINUTE}`,
      seconds: MINUTE,
      limit: limits.ip_per_minute ?? DEFAULT_SETTINGS.rate_limits.ip_per_minute ?? 100,
      noun,
      what: `${noun} a minute from this address`,
    },
    {
      key: `${a}:${bot.id}:${ip}:${DAY}`,
      seconds: DAY,
      limit: limits.ip_per_day ?? DEFAULT_SETTINGS.rate_limits.ip_per_day ?? 1000,
      noun,
      what: `${noun} a day from this address`,
    },
  ];
}

async function countIn(db: Kysely<DB>, windows: Window[]): Promise<void> {
  // The database's clock, not this process's, decides the window: processes agree on it.
  const rows = await sql<{ key: string; count: number; retry_after: number }>`
    INSERT INTO chat_rate_counters (key, window_start, count)
    SELECT w.key, to_timestamp(floor(extract(epoch FROM now()) / w.seconds) * w.seconds), 1
    FROM (VALUES ${sql.join(windows.map((w) => sql`(${w.key}::text, ${w.seconds}::int)`))}) AS w(key, seconds)
    ON CONFLICT (key, window_start) DO UPDATE SET count = chat_rate_counters.count + 1
    RETURNING key, count,
      ceil(extract(epoch FROM window_start) + substring(key FROM '[0-9]+$')::int - extract(epoch FROM now()))::int AS retry_after`.execute(db);
  const over = windows
    .map((w) => ({ w, row: rows.rows.find((r) => r.key === w.key) }))
    .filter(({ w, row }) => row && row.count > w.limit)
    .sort((a, b) => (b.row?.retry_after ?? 0) - (a.row?.retry_after ?? 0));
  if (over.length) {
    const { w, row } = over[0];
    const retryAfter = Math.max(1, row?.retry_after ?? w.seconds);
    throw new AppError(
      429,
      'RATE_LIMITED',
      `Too many ${w.noun}: at most ${w.limit} ${w.what}. Try again in ${retryAfter} s.`,
      { limit: w.limit, window_seconds: w.seconds, retry_after: retryAfter },
      { 'Retry-After': String(retryAfter) },
    );
  }
}

/** Windows that are over: minute windows after two minutes, day windows after two days. */
export async function purgeRateCounters(db: Kysely<DB>): Promise<number> {
  const r = await sql`
    DELETE FROM chat_rate_counters
    WHERE (key LIKE ${`%:${MINUTE}`} AND window_start < now() - interval '2 minutes')
       OR window_start < now() - interval '2 days'`.execute(db);
  return Number(r.numAffectedRows ?? 0);
}
