import type { Deps } from '../deps.ts';

/**
 * How visitors' ratings shift each entry's rank for a query: a factor per entry id (absent = 1),
 * multiplied into the search score by rankEntries. The self-training computation (ratings of
 * bot messages that used the entry for similar queries) belongs to the rating module; until it
 * lands, no entry is shifted.
 */
export async function feedbackFactors(
  _deps: Pick<Deps, 'db'>,
  _chatbotId: string,
  _query: string,
): Promise<Map<string, number>> {
  return new Map();
}
