import type { ValidateFunction } from 'ajv';
import { z } from 'zod';
import { AppError, conflict, notFound } from '../core/errors.ts';
import { isUniqueViolation } from '../db/errors.ts';
import type { EventTypeRow } from '../db/schema.ts';
import type { Deps } from '../deps.ts';
import { BUILTIN_EVENT_TYPES, builtinEventType } from './event-catalogue.ts';
import { compileSchema, summary, validateValue, type JsonSchema, type SchemaProblem } from './json-schema.ts';
import { checkSchema, validateWithSchema } from './schema-checker.ts';

const MAX_JSON_CHARS = 64 * 1024;
const jsonObject = (what: string) =>
  z
    .record(z.string(), z.unknown())
    .refine((v) => JSON.stringify(v).length <= MAX_JSON_CHARS, `the ${what} may be at most ${MAX_JSON_CHARS / 1024} KiB of JSON`);

export const eventTypeName = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[a-zA-Z0-9._-]+$/, 'may contain letters, digits and . _ -');

export const EventTypeIn = z
  .object({
    name: eventTypeName.refine((n) => !n.toLowerCase().startsWith('hub.'), 'names starting with "hub." are reserved for Wirehub\'s own events'),
    description: z.string().max(1000).nullable().optional(),
    schema: jsonObject('schema').nullable().optional(),
    sample: jsonObject('sample'),
  })
  .strict();
export type EventTypeInT = z.output<typeof EventTypeIn>;

export type EventTypeOut = {
  name: string;
  group: string;
  description: string | null;
  schema: JsonSchema | null;
  sample: Record<string, unknown>;
  builtin: boolean;
};

/**
 * An event type as publishing needs it: its name and, if it has a schema, its check — in-process
 * for the built-in types' schemas (ours), in the schema worker under a deadline for a team's own.
 */
export type ResolvedEventType = { name: string; builtin: boolean; check: ((value: unknown, root: string) => Promise<SchemaProblem[]>) | null };

const CUSTOM_GROUP = 'custom';

const builtinsOut: EventTypeOut[] = BUILTIN_EVENT_TYPES.map((t) => ({
  name: t.name,
  group: t.group,
  description: t.description,
  schema: t.schema,
  sample: t.sample,
  builtin: true,
}));

const builtinValidators = new Map<string, ValidateFunction>();

function customOut(row: EventTypeRow): EventTypeOut {
  return { name: row.name, group: CUSTOM_GROUP, description: row.description, schema: row.schema, sample: row.sample, builtin: false };
}

export type EventTypesService = ReturnType<typeof eventTypesService>;

export function eventTypesService(deps: Pick<Deps, 'db'>) {
  const { db } = deps;
  const findCustom = (ws: string, name: string) =>
    db.selectFrom('event_types').selectAll().where('workspace_id', '=', ws).where('name', '=', name).executeTakeFirst();

  return {
    async list(ws: string): Promise<{ models: EventTypeOut[]; count: number }> {
      const rows = await db.selectFrom('event_types').selectAll().where('workspace_id', '=', ws).orderBy('name').execute();
      const models = [...builtinsOut, ...rows.map(customOut)];
      return { models, count: models.length };
    },

    async get(ws: string, name: string): Promise<EventTypeOut> {
      const builtin = builtinsOut.find((t) => t.name === name);
      if (builtin) return builtin;
      const row = await findCustom(ws, name);
      if (!row) throw notFound('Event type', name);
      return customOut(row);
    },

    async create(ws: string, input: EventTypeInT): Promise<EventTypeOut> {
      if (builtinEventType(input.name)) {
        throw conflict(`"${input.name}" is a built-in event type; choose another name for a custom type.`, { name: input.name });
      }
      const schema = input.schema ?? null;
      if (schema) {
        const problems = await checkSchema(schema, 'schema', input.sample, 'sample');
        if (problems.length) throw new AppError(422, 'INVALID_SAMPLE', `The sample does not match the schema: ${summary(problems)}`, problems);
      }
      try {
        const row = await db
          .insertInto('event_types')
          .values({
            workspace_id: ws,
            name: input.name,
            description: input.description ?? null,
            schema: schema === null ? null : JSON.stringify(schema),
            sample: JSON.stringify(input.sample),
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        return customOut(row);
      } catch (err) {
        if (isUniqueViolation(err)) throw conflict(`An event type named "${input.name}" already exists.`, { name: input.name });
        throw err;
      }
    },

    async remove(ws: string, name: string): Promise<void> {
      if (builtinEventType(name)) {
        throw new AppError(403, 'BUILT_IN_EVENT_TYPE', `"${name}" is a built-in event type and cannot be deleted; only custom types can.`);
      }
      const gone = await db.deleteFrom('event_types').where('workspace_id', '=', ws).where('name', '=', name).returning('name').executeTakeFirst();
      if (!gone) throw notFound('Event type', name);
    },

    /** The type an event is published as, or a 422 naming the types that exist. */
    async resolve(ws: string, name: string): Promise<ResolvedEventType> {
      const builtin = builtinEventType(name);
      if (builtin) {
        let validate = builtinValidators.get(name);
        if (!validate) builtinValidators.set(name, (validate = compileSchema(builtin.schema)));
        const compiled = validate;
        return { name, builtin: true, check: async (value, root) => validateValue(compiled, value, root) };
      }
      const row = await findCustom(ws, name);
      if (!row) {
        throw new AppError(
          422,
          'UNKNOWN_EVENT_TYPE',
          `Unknown event type "${name}": use a built-in type or declare it first with POST /api/v1/event-types (GET /api/v1/event-types lists them).`,
          [{ path: 'eventType', message: `unknown event type "${name}"`, code: 'unknown_event_type' }],
        );
      }
      // Stored schemas compiled when declared; should one no longer compile (a newer validator), publishing says so.
      const schema = row.schema;
      return { name, builtin: false, check: schema ? (value, root) => validateWithSchema(schema, value, root) : null };
    },
  };
}
