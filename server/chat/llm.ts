import { z } from 'zod';
import { operatorFetch } from '../../connectors/shared/guarded-http.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../core/logger.ts';
import type { RankedEntry } from './retrieval.ts';

const Completion = z.object({
  choices: z.array(z.object({ message: z.object({ content: z.string().nullable() }) })).min(1),
});

const TIMEOUT_MS = 15_000;
const MAX_REPLY_CHARS = 4000;

/**
 * A reply written by an OpenAI-compatible model (POST {base}/chat/completions) from the entries
 * retrieval found: the model only rephrases the knowledge base. Null when it fails or answers
 * nothing, so the caller falls back to the best entry's own answer.
 */
export async function llmReply(
  llm: NonNullable<Config['llm']>,
  log: Logger,
  input: { chatbotName: string; message: string; entries: RankedEntry[] },
): Promise<string | null> {
  const context = input.entries.map((r, i) => `[${i + 1}] Q: ${r.entry.question}\nA: ${r.entry.answer}`).join('\n\n');
  const system =
    `You are the customer-service assistant of "${input.chatbotName}". Answer the visitor briefly and politely, ` +
    `using only the knowledge-base entries below. If they do not answer the question, say you are not sure and offer to put the visitor in touch with a person.\n\n${context}`;
  try {
    // The operator's own host, and nothing it redirects to.
    const res = await operatorFetch(`${llm.baseUrl}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${llm.apiKey}` },
      body: JSON.stringify({
        model: llm.model,
        messages: [
          { role: 'system', content: system },
          { role: 'user', content: input.message },
        ],
        temperature: 0.2,
        max_tokens: 400,
      }),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    if (!res.ok) {
      log.warn({ status: res.status }, 'the LLM answered with an error; replying from the knowledge base');
      return null;
    }
    const parsed = Completion.safeParse(await res.json());
    const text = parsed.success ? parsed.data.choices[0].message.content?.trim() : undefined;
    if (!text) {
      log.warn('the LLM answered without a reply; replying from the knowledge base');
      return null;
    }
    return text.slice(0, MAX_REPLY_CHARS);
  } catch (err) {
    log.warn({ err: (err as Error).message }, 'the LLM could not be reached; replying from the knowledge base');
    return null;
  }
}
