import { z } from 'zod';

const UNITS: Record<string, number> = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 604800e3 };

/** A valid date the database can store too (PostgreSQL stops at 4713 BC; JavaScript goes further). */
export const inCalendar = (d: Date) => !Number.isNaN(d.getTime()) && d.getUTCFullYear() >= 1 && d.getUTCFullYear() <= 9999;

/** ISO 8601 or relative time as the seed's filters accept: `now`, `now-1h`, `now-15m`, `now-7d`. */
export const timeParam = z
  .string()
  .max(64)
  .transform((value, ctx) => {
    const rel = /^now(?:([+-])(\d+)([smhdw]))?$/.exec(value.trim());
    if (rel) {
      const offset = rel[1] ? Number(rel[2]) * UNITS[rel[3]] * (rel[1] === '-' ? -1 : 1) : 0;
      const d = new Date(Date.now() + offset);
      if (inCalendar(d)) return d;
      ctx.addIssue({ code: 'custom', message: 'is outside the years 1 to 9999' });
      return z.NEVER;
    }
    const d = new Date(value);
    if (!inCalendar(d) || !/^\d{4}-\d{2}-\d{2}/.test(value)) {
      ctx.addIssue({ code: 'custom', message: 'must be an ISO 8601 date-time or a relative time such as now-1h' });
      return z.NEVER;
    }
    return d;
  });

/** ISO 8601 in UTC to the second, as the envelope's eventTimestamp (seed 004: `2026-05-03T14:22:08Z`). */
export const isoSeconds = (d = new Date()): string => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
