import type { Request, RequestHandler } from 'express';
import { AppError } from './errors.ts';

/**
 * PostgreSQL refuses the NUL character (U+0000) in `text` and in `jsonb`, so a string carrying one
 * would fail its INSERT with a 500. The API refuses such input up front, once for every route
 * (refuseNul); what is stored on behalf of a sender who cannot be asked to change (ingest's query,
 * headers and path, a transformation's input, output and logs) has it replaced (withoutNul).
 */
const NUL = '\u0000';
/** What a NUL becomes in stored logs: the replacement character, which says "something was here". */
export const NUL_REPLACEMENT = '\uFFFD';

type Path = (string | number)[];

/** The path of the first string (a value or a key) containing a NUL, or null. */
export function findNul(value: unknown, path: Path = []): Path | null {
  const rest = nulIn(value);
  return rest ? [...path, ...rest] : null;
}

/** The path below `value`, built only on the way back from a hit, so the walk over a large body allocates nothing. */
function nulIn(value: unknown): Path | null {
  if (typeof value === 'string') return value.includes(NUL) ? [] : null;
  if (value === null || typeof value !== 'object') return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const hit = nulIn(value[i]);
      if (hit) return [i, ...hit];
    }
    return null;
  }
  for (const [k, v] of Object.entries(value)) {
    if (k.includes(NUL)) return [k];
    const hit = nulIn(v);
    if (hit) return [k, ...hit];
  }
  return null;
}

/** A copy safe for `text` and `jsonb`: every NUL in strings and keys replaced; the value itself when it has none. */
export function withoutNul<T>(value: T): T {
  return findNul(value) === null ? value : (replaced(value) as T);
}

function replaced(value: unknown): unknown {
  if (typeof value === 'string') return value.replaceAll(NUL, NUL_REPLACEMENT);
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(replaced);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [replaced(k), replaced(v)]));
}

/** `%00` is the only way a NUL reaches a route's path (Node refuses the raw byte in a request line). */
const ENCODED_NUL = /%00/i;

/**
 * Answers 400 INVALID_INPUT naming the first string that carries a NUL: in the path, the query or
 * the parsed JSON body. Mounted after the JSON parsers, so it covers every route behind it without
 * one schema edit each. `opaque` names the body's top-level keys a route keeps as bytes, never as
 * text (a published event's `data`), which may carry one.
 */
export function refuseNul(opaque?: (req: Request) => readonly string[]): RequestHandler {
  return (req, _res, next) => {
    refuseNulIn(req.originalUrl.split('?')[0], req.query, req.body, opaque?.(req) ?? []);
    next();
  };
}

/** What `refuseNul` checks, for a route served without Express: throws at the first NUL outside the `kept` body fields. */
export function refuseNulIn(pathOnly: string, query: unknown, body: unknown, kept: readonly string[]): void {
  if (ENCODED_NUL.test(pathOnly)) throw nulError('path');
  const inQuery = findNul(query, ['query']);
  if (inQuery) throw nulError(inQuery.join('.'));
  const checked =
    kept.length > 0 && body !== null && typeof body === 'object' && !Array.isArray(body)
      ? Object.fromEntries(Object.entries(body).filter(([k]) => !kept.includes(k)))
      : body;
  const inBody = findNul(checked, ['body']);
  if (inBody) throw nulError(inBody.join('.') || 'body');
}

function nulError(path: string): AppError {
  return new AppError(400, 'INVALID_INPUT', `${path} contains a NUL character (\\u0000), which cannot be stored; remove it.`, [
    { path, message: 'must not contain the NUL character (\\u0000)', code: 'nul_character' },
  ]);
}
