import MiniSearch from 'minisearch';
import { sql } from 'kysely';
import type { Deps } from '../deps.ts';
import { processTerm } from './terms.ts';

/** A factor stays within these bounds: ratings reorder close matches, they never erase or crown an entry alone. */
export const MIN_FACTOR = 0.25;
export const MAX_FACTOR = 2;
/**
 * Pseudo-votes on each side (Laplace smoothing): one thumbs-down for an identical question gives
 * 2/3, three give 0.4, five give 2/7; one thumbs-up gives 1.5, two give 2.
 */
const PRIOR = 2;
/** Below this term overlap, a rated question says nothing about the current one. */
export const MIN_SIMILARITY = 0.3;
/** The most recent (question, entry) groups considered: the cost of one retrieval stays bounded however much is rated. */
const MAX_GROUPS = 2000;
/** Shorter terms must match exactly; longer ones may be a prefix of the other ("price" / "prices"). */
const MIN_PREFIX = 4;

const tokenize: (text: string) => string[] = MiniSearch.getDefault('tokenize');

/** The meaningful terms of a question, as retrieval sees them (lower case, no stop words). */
export function questionTerms(text: string): string[] {
  const terms = new Set<string>();
  for (const token of tokenize(text)) {
    const term = processTerm(token);
    if (term) terms.add(term);
  }
  return [...terms];
}

const sameTerm = (a: string, b: string) => a === b || (Math.min(a.length, b.length) >= MIN_PREFIX && (a.startsWith(b) || b.startsWith(a)));

/** Jaccard overlap of two questions' terms (0..1), a term matching its plural or other prefix form. */
export function questionSimilarity(a: string[], b: string[]): number {
  if (!a.length || !b.length) return 0;
  const matched = a.filter((t) => b.some((u) => sameTerm(t, u))).length;
  return matched / (a.length + b.length - matched);
}

type RatedGroup = { query: string; entry_id: string; up: number; down: number };

/**
 * The self-training loop: how visitors' ratings shift each entry's rank for a query, as a factor
 * per entry id (absent = 1) that rankEntries multiplies into the search score. Every rated bot
 * reply votes for the entries it used, for the question it answered; a vote counts as much as
 * that question resembles the current one. factor = (up + 2) / (down + 2) over those weighted
 * votes, within [0.25, 2]: an entry rated down for a question ranks lower for it and for
 * questions like it, one rated up higher, and unrelated questions are left alone. `entryIds`, when
 * given, limits the work to those entries (the ones the search found): no other factor is used.
 */
export async function feedbackFactors(deps: Pick<Deps, 'db'>, chatbotId: string, query: string, entryIds?: string[]): Promise<Map<string, number>> {
  const factors = new Map<string, number>();
  const terms = questionTerms(query);
  if (!terms.length) return factors;

  // One row per (rated question, entry): the votes of every visitor on every reply that used it.
  const { rows } = await sql<RatedGroup>`
    SELECT m.query, e.entry_id,
           count(*) FILTER (WHERE r.rating = 'up')::int AS up,
           count(*) FILTER (WHERE r.rating = 'down')::int AS down
    FROM message_ratings r
    JOIN conversations c ON c.id = r.conversation_id
    JOIN chat_messages m ON m.id = r.message_id
    CROSS JOIN LATERAL unnest(m.entry_ids) AS e(entry_id)
    WHERE c.chatbot_id = ${chatbotId} AND m.role = 'bot' AND m.query IS NOT NULL
      ${entryIds ? sql`AND e.entry_id = ANY(${entryIds}::text[])` : sql``}
    GROUP BY m.query, e.entry_id
    ORDER BY max(r.updated_at) DESC
    LIMIT ${MAX_GROUPS}`.execute(deps.db);
  if (!rows.length) return factors;

  const votes = new Map<string, { up: number; down: number }>();
  const similarity = new Map<string, number>();
  for (const row of rows) {
    let sim = similarity.get(row.query);
    if (sim === undefined) {
      sim = questionSimilarity(terms, questionTerms(row.query));
      similarity.set(row.query, sim);
    }
    if (sim < MIN_SIMILARITY) continue;
    const v = votes.get(row.entry_id) ?? { up: 0, down: 0 };
    v.up += sim * row.up;
    v.down += sim * row.down;
    votes.set(row.entry_id, v);
  }
  for (const [entryId, v] of votes) {
    factors.set(entryId, Math.min(MAX_FACTOR, Math.max(MIN_FACTOR, (v.up + PRIOR) / (v.down + PRIOR))));
  }
  return factors;
}
