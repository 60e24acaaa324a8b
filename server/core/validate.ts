import type { Request } from 'express';
import { z } from 'zod';
import { AppError, validationError } from './errors.ts';
import { ID_PATTERN } from './ids.ts';

export function parse<S extends z.ZodType>(schema: S, value: unknown, where: 'body' | 'query' | 'params'): z.output<S> {
  const result = schema.safeParse(value ?? (where === 'body' ? undefined : {}));
  if (!result.success) throw validationError(result.error, where);
  return result.data;
}

/** A JSON body is required on writes; a missing one reads as `{}` only where every field is optional. */
export function body<S extends z.ZodType>(req: Request, schema: S): z.output<S> {
  const raw: unknown = req.body === undefined ? {} : req.body;
  return parse(schema, raw, 'body');
}

export function query<S extends z.ZodType>(req: Request, schema: S): z.output<S> {
  return parse(schema, req.query, 'query');
}

/** Route ids are checked for shape first, so a malformed id is a clean 404 rather than a query. */
export function idParam(req: Request, prefix: string, what: string, name = 'id'): string {
  const id = req.params[name];
  if (typeof id !== 'string' || !ID_PATTERN.test(id) || !id.startsWith(`${prefix}_`)) {
    throw new AppError(404, 'NOT_FOUND', `${what} ${String(id)} was not found`);
  }
  return id;
}

export const nameSchema = z
  .string()
  .trim()
  .min(1)
  .max(155)
  .regex(/^[A-Za-z0-9 ._\-:]+$/, 'may contain letters, digits, spaces, dots, dashes, underscores and colons');

/**
 * A name people give and read (a flow's "New leads → my webhook"): free text, trimmed, without
 * control characters. Objects derived from it that need a restricted name get `slugName` of it.
 */
export const displayNameSchema = z
  .string()
  .transform((s) => s.normalize('NFC').replace(/\s+/g, ' ').trim())
  .pipe(z.string().min(1, 'is empty: give it a name').max(155, 'can have at most 155 characters'))
  .refine((s) => !/\p{Cc}/u.test(s), 'cannot contain control characters');

/**
 * A display name as a `nameSchema` name: accents dropped (é → e), arrows and other symbols turned
 * into a dash, runs of dashes and spaces squeezed; never empty ("flow" when nothing is left).
 */
export function slugName(display: string, max = 155): string {
  const ascii = display
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .replace(/[^A-Za-z0-9 ._\-:]+/g, ' - ')
    .replace(/\s*-(?:\s*-)+\s*/g, ' - ')
    .replace(/\s+/g, ' ')
    .replace(/^[\s-]+|[\s-]+$/g, '')
    .slice(0, max)
    .trim();
  return ascii || 'flow';
}
export const descriptionSchema = z.string().max(1000).nullable().optional();
