import { isDeepJsonBody } from '../core/json-depth.ts';

/** JSON and form bodies come back as objects, text as text, anything else as base64. */
export function decodeBody(body: Buffer, contentType: string | null): unknown {
  const type = (contentType ?? '').toLowerCase();
  const text = body.toString('utf8');
  if (type.includes('json')) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  if (type.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(text));
  if (type.startsWith('text/') || type.includes('xml') || body.length === 0) return text;
  return { base64: body.toString('base64') };
}

/**
 * decodeBody for a stored request read back (the logs' pages, samples, a replay's routing): a JSON
 * body stored before ingest refused deep nesting would overflow JSON.stringify or a filter, so it
 * reads as its text instead. Not for the delivery path, which must not scan every body again.
 */
export function bodyForReading(body: Buffer, contentType: string | null): unknown {
  if (isDeepJsonBody(body, contentType)) return body.toString('utf8');
  return decodeBody(body, contentType);
}
