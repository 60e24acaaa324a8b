import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower case

let lastMs = 0;
let lastRandom: Uint8Array = new Uint8Array(10);

/**
 * Time-ordered ids (ULID layout: 48-bit ms timestamp + 80 random bits). Ordering by id orders by
 * creation time, which keeps cursor pagination on one index. Within one millisecond the random
 * part is incremented so ids made in this process stay strictly increasing.
 */
export function newId(prefix: string): string {
  const now = Date.now();
  let rnd: Uint8Array;
  if (now <= lastMs) {
    rnd = increment(lastRandom);
  } else {
    rnd = randomBytes(10);
    lastMs = now;
  }
  lastRandom = rnd;
  return `${prefix}_${encodeTime(lastMs)}${encodeRandom(rnd)}`;
}

function encodeTime(ms: number): string {
  let out = '';
  for (let i = 9; i >= 0; i--) {
    out = ALPHABET[ms % 32] + out;
    ms = Math.floor(ms / 32);
  }
  return out;
}

function encodeRandom(bytes: Uint8Array): string {
  // 80 bits as 16 five-bit digits, read from a 40-bit window at a time (no BigInt on the hot path).
  let out = '';
  for (let half = 0; half < 2; half++) {
    let v = 0;
    for (let i = 0; i < 5; i++) v = v * 256 + bytes[half * 5 + i];
    let digits = '';
    for (let i = 0; i < 8; i++) {
      digits = ALPHABET[v % 32] + digits;
      v = Math.floor(v / 32);
    }
    out += digits;
  }
  return out;
}

function increment(bytes: Uint8Array): Uint8Array {
  const next = Uint8Array.from(bytes);
  for (let i = next.length - 1; i >= 0; i--) {
    if (next[i] < 255) {
      next[i]++;
      return next;
    }
    next[i] = 0;
  }
  return next;
}

/**
 * The smallest id `newId(prefix)` can make at or after `at`: with an index on (…, id), `id >= idFloor`
 * reads only what was created since, without an index on created_at.
 */
export const idFloor = (prefix: string, at: Date): string => `${prefix}_${encodeTime(Math.max(0, at.getTime()))}`;

/** When an id of `newId` was made (its 48-bit timestamp); null when it is not such an id. */
export function idTime(id: string): Date | null {
  const m = /^[a-z]{2,4}_([0-9a-z]{10})[0-9a-z]{16}$/.exec(id);
  if (!m) return null;
  let ms = 0;
  for (const c of m[1]) {
    const digit = ALPHABET.indexOf(c);
    if (digit < 0) return null;
    ms = ms * 32 + digit;
  }
  return new Date(ms);
}

/**
 * An id as `newId` would have made it at `at`: for rows dated in the past (the retention tests and
 * bench seed an old log). Random, so not ordered within a millisecond; never on a live path.
 */
export const idAt = (prefix: string, at: Date): string => `${prefix}_${encodeTime(at.getTime())}${encodeRandom(randomBytes(10))}`;

export const ID_PATTERN = /^[a-z]{2,4}_[0-9a-z]{26}$/;
