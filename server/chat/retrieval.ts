import MiniSearch from 'minisearch';
import type { ChatbotRow, KbEntryRow } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import { feedbackFactors } from './feedback.ts';
import { processTerm } from './terms.ts';

export type RankedEntry = { entry: KbEntryRow; score: number };

type Indexed = { version: number; index: MiniSearch<KbEntryRow>; entries: Map<string, KbEntryRow> };

/** Per chatbot, keyed by its kb_version, which every entry write bumps (in any process). */
const cache = new Map<string, Indexed>();
const CACHE_LIMIT = 500;

function build(version: number, entries: KbEntryRow[]): Indexed {
  const index = new MiniSearch<KbEntryRow>({
    fields: ['question', 'answer', 'tags'],
    extractField: (doc, field) => (field === 'tags' ? doc.tags.join(' ').replace(/[_:-]/g, ' ') : String(doc[field as keyof KbEntryRow] ?? '')),
    processTerm,
    searchOptions: { boost: { question: 2, tags: 1.5 }, fuzzy: 0.2, prefix: true, combineWith: 'OR' },
  });
  index.addAll(entries);
  return { version, index, entries: new Map(entries.map((e) => [e.id, e])) };
}

async function indexFor(deps: Pick<Deps, 'db'>, chatbot: Pick<ChatbotRow, 'id' | 'kb_version'>): Promise<Indexed> {
  const hit = cache.get(chatbot.id);
  if (hit && hit.version === chatbot.kb_version) {
    // Re-inserted so the map's order is least recently used first.
    cache.delete(chatbot.id);
    cache.set(chatbot.id, hit);
    return hit;
  }
  // Read after the version: an index built here is never older than the version it is filed under.
  const entries = await deps.db.selectFrom('kb_entries').selectAll().where('chatbot_id', '=', chatbot.id).orderBy('id').execute();
  const built = build(chatbot.kb_version, entries);
  cache.delete(chatbot.id);
  cache.set(chatbot.id, built);
  if (cache.size > CACHE_LIMIT) cache.delete(cache.keys().next().value as string);
  return built;
}

/**
 * The chatbot's entries for a visitor's question, best first: MiniSearch's BM25 over question,
 * answer and tags (fuzzy and prefix matching), each score multiplied by what ratings taught
 * (feedbackFactors). The chatbot row must be fresh (its kb_version decides whether the cached
 * index is current).
 */
export async function rankEntries(deps: Pick<Deps, 'db'>, chatbot: Pick<ChatbotRow, 'id' | 'kb_version'>, query: string): Promise<RankedEntry[]> {
  const { index, entries } = await indexFor(deps, chatbot);
  if (!entries.size) return [];
  const hits = index.search(query);
  if (!hits.length) return [];
  const factors = await feedbackFactors(
    deps,
    chatbot.id,
    query,
    hits.map((h) => h.id as string),
  );
  return hits
    .map((h) => ({ entry: entries.get(h.id as string) as KbEntryRow, score: h.score * (factors.get(h.id as string) ?? 1) }))
    .filter((r) => r.entry)
    .sort((a, b) => b.score - a.score);
}
