import { AppError } from '../core/errors.ts';
import { newId } from '../core/ids.ts';
import type { Deps } from '../deps.ts';
import { APPLICATION_SOURCE_TYPE } from '../gateway/source-types.ts';

// The hub's modules take the type from here, beside the source it names.
export { APPLICATION_SOURCE_TYPE };

const NAMES = ['application', 'wirehub-application'];
const DESCRIPTION = 'Built in: the events your application publishes with POST /api/v1/publish.';

/**
 * Each workspace's published events enter through one source of type APPLICATION, named
 * `application`, made the first time it is needed. Users see it among their sources and connect
 * it like any other; only the publish API writes to it.
 */
export class ApplicationSources {
  // One per running Wirehub (server/services.ts), so every router shares the cache of known ids.
  private known = new Map<string, string>();
  constructor(private readonly deps: Pick<Deps, 'db'>) {}

  /** The workspace's application source id, created if it does not exist yet (safe under concurrency). */
  async ensure(workspaceId: string): Promise<string> {
    const cached = this.known.get(workspaceId);
    if (cached) return cached;
    const id = await this.findOrCreate(workspaceId);
    this.known.set(workspaceId, id);
    return id;
  }

  /** Forget a cached id (the source is gone: its workspace was deleted, or it was removed by hand). */
  forget(workspaceId: string): void {
    this.known.delete(workspaceId);
  }

  private find(workspaceId: string) {
    return this.deps.db
      .selectFrom('sources')
      .select('id')
      .where('workspace_id', '=', workspaceId)
      .where('type', '=', APPLICATION_SOURCE_TYPE)
      .orderBy('created_at')
      .orderBy('id')
      .executeTakeFirst();
  }

  private async findOrCreate(workspaceId: string): Promise<string> {
    const existing = await this.find(workspaceId);
    if (existing) return existing.id;
    // Two first publishes may race: the unique (workspace, name) lets one insert win and the
    // other find it. If a user's own source already holds the name, the fallback name is used.
    for (const name of NAMES) {
      const created = await this.deps.db
        .insertInto('sources')
        .values({ id: newId('src'), workspace_id: workspaceId, name, description: DESCRIPTION, type: APPLICATION_SOURCE_TYPE, config: '{}', auth_enc: null })
        .onConflict((oc) => oc.doNothing())
        .returning('id')
        .executeTakeFirst();
      if (created) return created.id;
      const raced = await this.find(workspaceId);
      if (raced) return raced.id;
    }
    throw new AppError(
      409,
      'APPLICATION_SOURCE_UNAVAILABLE',
      `The application source cannot be created: sources named ${NAMES.map((n) => `"${n}"`).join(' and ')} already exist; rename one of them.`,
    );
  }
}
