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

export const nameSchema = z.string().trim().min(1).max(155).regex(/^[A-Za-z0-9 ._\-:]+$/, 'may contain letters, digits, spaces and . _ - :');
export const descriptionSchema = z.string().max(1000).nullable().optional();
