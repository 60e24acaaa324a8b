import { sql } from 'kysely';
import { z } from 'zod';
import type { AuthContext } from '../auth/auth.middleware.ts';
import { AppError } from '../core/errors.ts';
import type { Deps } from '../deps.ts';
import type { SourcesService } from '../gateway/sources.service.ts';
import type { InboundSource } from './source-sample.ts';

/**
 * The flow editor's "Incoming webhook" trigger makes its source the moment it is dropped, so the
 * user has a URL to send to before the flow is saved. Such a source outlives a node deleted, or a
 * flow never saved: it stays in the palette as "Requests to Incoming webhook 1", reusable, and the
 * next "Incoming webhook" dropped takes it back instead of making another, as long as nothing
 * uses it (no saved flow names it, no connection reads it, no request reached it, still its default
 * name). So trying the editor leaves at most one idle source behind, never a pile.
 */
export const EDITOR_MADE = 'Made in the flow editor for an “Incoming webhook” trigger.';
const BASE = 'Incoming webhook';
const DEFAULT_NAME = /^Incoming webhook (\d+)$/;

export const IncomingWebhookIn = z
  .object({
    /** The sources already on the caller's canvas: unsaved, they look unused, but are not free to take. */
    exclude: z.array(z.string().max(64)).max(200).default([]),
  })
  .strict();

export type IncomingWebhookOut = InboundSource & { reused: boolean };

export function incomingWebhooks(deps: Deps, sources: Pick<SourcesService, 'create'>) {
  const { db } = deps;
  const summary = (s: { id: string; name: string; type: string }, reused: boolean): IncomingWebhookOut => ({
    id: s.id,
    name: s.name,
    type: s.type,
    url: `${deps.config.publicUrl}/e/${s.id}`,
    reused,
  });

  /** An editor-made source nothing uses yet, oldest first, or undefined. */
  async function idle(ws: string, exclude: string[]) {
    const rows = await db
      .selectFrom('sources as s')
      .select(['s.id', 's.name', 's.type'])
      .where('s.workspace_id', '=', ws)
      .where('s.description', '=', EDITOR_MADE)
      .where('s.type', '=', 'WEBHOOK')
      .where('s.disabled_at', 'is', null)
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('connections as c').select('c.id').whereRef('c.source_id', '=', 's.id'))))
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('requests as r').select('r.id').whereRef('r.source_id', '=', 's.id'))))
      .orderBy('s.id')
      .limit(20)
      .execute();
    for (const row of rows) {
      if (exclude.includes(row.id) || !DEFAULT_NAME.test(row.name)) continue;
      // A saved flow whose trigger names it (a flow with no destination yet has no connection).
      const named = await db
        .selectFrom('flows')
        .select('id')
        .where('workspace_id', '=', ws)
        .where(sql<boolean>`graph::text LIKE ${`%"${row.id}"%`}`)
        .limit(1)
        .executeTakeFirst();
      if (!named) return row;
    }
    return undefined;
  }

  /** "Incoming webhook N" with the next N after the highest taken. */
  async function nextName(ws: string): Promise<string> {
    const rows = await db.selectFrom('sources').select('name').where('workspace_id', '=', ws).where('name', 'like', `${BASE} %`).execute();
    const taken = rows.map((r) => Number(DEFAULT_NAME.exec(r.name)?.[1] ?? 0)).filter(Number.isSafeInteger);
    return `${BASE} ${Math.max(0, ...taken) + 1}`;
  }

  return {
    /** `POST /flows/incoming-webhook`: an idle editor-made source taken back, or a new one. */
    async create(ws: string, input: z.output<typeof IncomingWebhookIn>, caller: AuthContext): Promise<IncomingWebhookOut> {
      const free = await idle(ws, input.exclude);
      if (free) return summary(free, true);
      // Two editors dropping at once may pick the same name: the loser takes the next.
      for (let attempt = 0; ; attempt++) {
        try {
          const made = await sources.create(ws, { name: await nextName(ws), description: EDITOR_MADE, type: 'WEBHOOK', config: {} }, caller);
          return summary(made, false);
        } catch (err) {
          if (!(err instanceof AppError && err.status === 409) || attempt >= 3) throw err;
        }
      }
    },
  };
}
