import { z } from 'zod';
import { AppError } from '../core/errors.ts';
import type { Deps } from '../deps.ts';
import { bodyForReading } from '../gateway/body.ts';
import type { RequestView } from '../gateway/rules.ts';
import { APPLICATION_SOURCE_TYPE } from '../publish/application-source.ts';

export const SourceSampleQuery = z.object({ source_id: z.string().min(1, 'name the source (source_id)').max(64) }).strict();

/** The last request a source took, as a flow's steps see it: `{headers, body, query, path}`. */
export type SourceSample = {
  sample: RequestView;
  request_id: string;
  received_at: Date;
  /** What the request is stored as, for a test delivery that sends it as it came. */
  raw: { body: Buffer; content_type: string | null };
};

export type InboundSource = { id: string; name: string; type: string; url: string };

/** Why a source cannot start a flow (not this workspace's, or the built-in one), or null. */
export function sourceProblem(row: { type: string } | undefined, sourceId: string): string | null {
  if (!row) return `source ${sourceId} was not found in this workspace`;
  if (row.type === APPLICATION_SOURCE_TYPE) return `source ${sourceId} is the built-in application source: start from its event types instead`;
  return null;
}

export type SourceSamples = ReturnType<typeof sourceSamples>;

export function sourceSamples(deps: Pick<Deps, 'db' | 'config'>) {
  const { db } = deps;

  /** The source, or undefined when it is not this workspace's. */
  async function find(ws: string, sourceId: string): Promise<InboundSource | undefined> {
    const row = await db.selectFrom('sources').select(['id', 'name', 'type']).where('workspace_id', '=', ws).where('id', '=', sourceId).executeTakeFirst();
    return row ? { ...row, url: `${deps.config.publicUrl}/e/${row.id}` } : undefined;
  }

  /** The newest accepted request of a source (rejected ones never reach a connection), or null. */
  async function last(ws: string, sourceId: string): Promise<SourceSample | null> {
    const row = await db
      .selectFrom('requests')
      .select(['id', 'headers', 'query', 'path', 'body', 'content_type', 'created_at'])
      .where('source_id', '=', sourceId)
      .where('workspace_id', '=', ws)
      .where('status', '=', 'accepted')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (!row) return null;
    return {
      sample: { headers: row.headers, body: bodyForReading(row.body, row.content_type), query: row.query, path: row.path },
      request_id: row.id,
      received_at: row.created_at,
      raw: { body: row.body, content_type: row.content_type },
    };
  }

  return {
    find,
    last,
    /** `GET /flows/source-sample`: what the filter and map panels show for a source trigger. */
    async get(ws: string, sourceId: string): Promise<Omit<SourceSample, 'raw'>> {
      const source = await find(ws, sourceId);
      const problem = sourceProblem(source, sourceId);
      if (problem)
        throw new AppError(source ? 422 : 404, source ? 'APPLICATION_SOURCE' : 'NOT_FOUND', `The ${problem}.`, [{ path: 'source_id', message: problem }]);
      const found = await last(ws, sourceId);
      if (!found) {
        throw new AppError(
          404,
          'NO_REQUEST_YET',
          `Source ${sourceId} has not received a request yet: send one to ${(source as InboundSource).url}, or paste a sample body in the Test drawer.`,
          [{ path: 'source_id', message: `send a request to ${(source as InboundSource).url} first` }],
        );
      }
      const { raw: _raw, ...out } = found;
      return out;
    },
  };
}
