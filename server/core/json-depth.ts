import { AppError } from './errors.ts';

/**
 * How deeply senders' and tenants' JSON may nest. Real payloads stay under a few dozen levels;
 * JSON.parse takes any depth, but JSON.stringify, structured cloning, JSONata and PostgreSQL all
 * recurse and overflow somewhere past a few thousand, so a deep body admitted at the door would
 * fail later in a place that blames someone else (a 500 on reading it, a "network" failure of its
 * destination).
 */
export const MAX_JSON_DEPTH = 256;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;

/**
 * Whether JSON text nests deeper than `limit`, counted by one pass over its UTF-8 bytes: brackets
 * inside strings do not count. No parse and no allocation, so it can stand in front of the ingest
 * hot path; it does not validate (invalid JSON is the parser's to refuse). Multi-byte UTF-8
 * sequences never contain ASCII bytes, so a byte scan sees the same structure as a parser.
 */
export function jsonNestsDeeper(bytes: Uint8Array, limit = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i];
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > limit) return true;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      depth--;
    }
  }
  return false;
}

/** A stored or arriving body that is JSON by its content type and nests deeper than the limit. */
export function isDeepJsonBody(body: Uint8Array, contentType: string | null | undefined): boolean {
  return (contentType ?? '').toLowerCase().includes('json') && jsonNestsDeeper(body);
}

export function payloadTooDeep(what = 'The request body'): AppError {
  return new AppError(400, 'PAYLOAD_TOO_DEEP', `${what} nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels, the limit.`, {
    max_depth: MAX_JSON_DEPTH,
  });
}

/**
 * The `verify` hook of express.json(): refuses a deep body before it is parsed. body-parser hands
 * over the raw bytes and their charset; only UTF-8 can be scanned as bytes.
 */
export function refuseDeepJson(_req: unknown, _res: unknown, buf: Buffer, encoding: string | null): void {
  const charset = (encoding ?? 'utf-8').toLowerCase();
  if (charset === 'utf-8' || charset === 'utf8') {
    if (jsonNestsDeeper(buf)) throw payloadTooDeep();
    return;
  }
  let text: string;
  try {
    text = new TextDecoder(charset).decode(buf);
  } catch {
    throw new AppError(415, 'UNSUPPORTED_MEDIA_TYPE', `Send JSON as UTF-8 (or UTF-16); the charset "${charset}" is not read here.`);
  }
  // Rare (UTF-16 JSON): scanned as the UTF-8 it re-encodes to, whose brackets are the same.
  if (jsonNestsDeeper(Buffer.from(text, 'utf8'))) throw payloadTooDeep();
}
