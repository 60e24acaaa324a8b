import { z } from 'zod';

/** The lead's own fields, whichever envelope the destination uses. */
export type LeadFields = Record<string, unknown>;

export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A flat envelope carries the fields next to `eventType`…; a nested one (`{event, timestamp,
 * workspace_id, id, data}`) keeps them under `data`. Undefined when the payload is not an object.
 */
export function leadFields(payload: unknown): LeadFields | undefined {
  if (!isRecord(payload)) return undefined;
  if (typeof payload.event === 'string' && isRecord(payload.data)) return payload.data;
  return payload;
}

const Email = z.email();

/** The lead's email, trimmed, when it is a valid address (CRMs deduplicate on it). */
export function leadEmail(fields: LeadFields): string | undefined {
  const raw = fields.email;
  if (typeof raw !== 'string') return undefined;
  const email = raw.trim();
  return Email.safeParse(email).success ? email : undefined;
}

/** "Jane van der Berg" → Jane / van der Berg: only the first word is certain to be a given name. */
export function splitName(name: string): { first: string; last?: string } {
  const [first, ...rest] = name.trim().split(/\s+/);
  return rest.length ? { first, last: rest.join(' ') } : { first };
}

/** CRM properties are strings; null and empty values are left out rather than clearing a field. */
export function propertyValue(v: unknown): string | undefined {
  if (v === null || v === undefined) return undefined;
  if (typeof v === 'string') return v.trim() === '' ? undefined : v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** Our fields → vendor properties through `map`, skipping fields the lead does not have. */
export function mapProperties(fields: LeadFields, map: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [ours, theirs] of Object.entries(map)) {
    const value = propertyValue(fields[ours]);
    if (value !== undefined) out[theirs] = value;
  }
  return out;
}

/** The value at a dot path (`data.id`) of parsed JSON, as an id string. */
export function idAt(json: unknown, path: string): string | undefined {
  let cur: unknown = json;
  for (const key of path.split('.')) {
    if (!isRecord(cur)) return undefined;
    cur = cur[key];
  }
  return typeof cur === 'string' && cur !== '' ? cur : typeof cur === 'number' ? String(cur) : undefined;
}

export function parseJson(text: string | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
