import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ZodError } from 'zod';
import { issuesMessage } from '../../shared/issue-text.ts';
import type { Logger } from './logger.ts';

export type ErrorBody = { error: { code: string; message: string; details?: unknown } };

/** Services throw this; the error middleware turns it into `{error: {code, message, details}}`. */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

export const notFound = (what: string, id?: string) => new AppError(404, 'NOT_FOUND', id ? `${what} ${id} was not found` : `${what} was not found`);
export const conflict = (message: string, details?: unknown) => new AppError(409, 'RESOURCE_ALREADY_EXISTS', message, details);

export function zodDetails(err: ZodError, where?: string) {
  return err.issues.flatMap((i) =>
    // An unknown field is named at its own path, like every other offending field.
    (i.code === 'unrecognized_keys' ? i.keys.map((k) => ({ path: [...i.path, k], message: `Unrecognized key: "${k}"` })) : [i]).map((p) => ({
      path: [...(where ? [where] : []), ...p.path].join('.') || '(root)',
      message: p.message,
      code: i.code,
    })),
  );
}

export function validationError(err: ZodError, where: 'body' | 'query' | 'params'): AppError {
  const details = zodDetails(err, where);
  // Sentences for people ("The name can only contain…"); the details keep each path for programs.
  return new AppError(400, 'VALIDATION_ERROR', issuesMessage(details), details);
}

type BodyParserError = Error & { type?: string; status?: number; expose?: boolean };

/** Express and its parsers mark the caller's mistakes with a 4xx status (a path that does not percent-decode, a body that does not inflate). */
const isClientErrorStatus = (status: unknown) => typeof status === 'number' && status >= 400 && status < 500;

/** What a thrown error answers: the one place where errors become HTTP responses. */
export function errorAnswer(
  err: unknown,
  log: Logger,
  where: { method?: string; path: string },
): { status: number; headers?: Record<string, string>; body: ErrorBody } {
  if (err instanceof AppError) {
    return {
      status: err.status,
      headers: err.headers,
      body: { error: { code: err.code, message: err.message, ...(err.details === undefined ? {} : { details: err.details }) } },
    };
  }
  if (err instanceof ZodError) {
    const e = validationError(err, 'body');
    return { status: e.status, body: { error: { code: e.code, message: e.message, details: e.details } } };
  }
  if (((err as BodyParserError).type && (err as BodyParserError).status) || isClientErrorStatus((err as BodyParserError).status))
    return bodyParserError(err as BodyParserError);
  if (isDatabaseUnavailable(err)) {
    return {
      status: 503,
      headers: { 'Retry-After': '5' },
      body: { error: { code: 'SERVICE_UNAVAILABLE', message: 'The database is unavailable; try again shortly.' } },
    };
  }
  log.error({ err, method: where.method, path: where.path }, 'unhandled error');
  return { status: 500, body: { error: { code: 'INTERNAL_ERROR', message: 'Something went wrong on our side.' } } };
}

export function errorMiddleware(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    if (res.headersSent) return;
    const { status, headers, body } = errorAnswer(err, log, req);
    if (headers) res.set(headers);
    res.status(status).json(body);
  };
}

function bodyParserError(err: BodyParserError): { status: number; body: ErrorBody } {
  switch (err.type) {
    case 'entity.parse.failed':
      return { status: 400, body: { error: { code: 'INVALID_JSON', message: `The request body is not valid JSON: ${err.message}` } } };
    case 'entity.too.large':
      return { status: 413, body: { error: { code: 'PAYLOAD_TOO_LARGE', message: 'The request body is too large.' } } };
    case 'charset.unsupported':
    case 'encoding.unsupported':
      return { status: 415, body: { error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: err.message } } };
    default:
      return { status: err.status && err.status < 500 ? err.status : 400, body: { error: { code: 'BAD_REQUEST', message: err.message } } };
  }
}

const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', '57P01', '57P03', '53300', '08006', '08001']);

export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | null;
  if (!e) return false;
  if (e.code && UNAVAILABLE_CODES.has(e.code)) return true;
  return /Connection terminated|timeout exceeded when trying to connect|Cannot use a pool after calling end/i.test(e.message ?? '');
}

export const routeNotFound: RequestHandler = (req, _res, next) => next(new AppError(404, 'NOT_FOUND', `No route for ${req.method} ${req.path}`));
