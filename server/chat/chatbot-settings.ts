import { isSupportedCountry } from 'libphonenumber-js';
import { z } from 'zod';
import type { ChatbotSettings } from '../db/schema.ts';

export const LeadField = z.enum(['name', 'email', 'phone']);

/** An origin as browsers send it (`https://shop.example.com`, no path), or `*` for any. */
const Origin = z
  .string()
  .trim()
  .max(255)
  .transform((v, ctx) => {
    if (v === '*') return v;
    try {
      const u = new URL(v);
      if ((u.protocol === 'http:' || u.protocol === 'https:') && (u.pathname === '/' || u.pathname === '') && !u.search && !u.hash && !u.username)
        return u.origin;
    } catch {
      // reported below
    }
    ctx.addIssue({ code: 'custom', message: 'must be an origin such as https://shop.example.com (scheme, host and port only) or *' });
    return z.NEVER;
  });

const Region = z
  .string()
  .trim()
  .toUpperCase()
  .refine((v) => isSupportedCountry(v), 'must be a two-letter country code such as US or GB');

const unique = <T>(list: T[]) => new Set(list).size === list.length;

const LeadCaptureIn = z
  .object({
    // lead.captured requires an e-mail (event catalogue): a lead without one could not be published.
    fields: z
      .array(LeadField)
      .max(3)
      .refine(unique, 'fields must not repeat')
      .refine((f) => f.length === 0 || f.includes('email'), 'must include email (lead.captured carries one), or be empty to capture no leads'),
    after_messages: z.number().int().min(0).max(1000),
    default_region: Region.nullable(),
  })
  .strict()
  .partial();
const EscalationIn = z
  .object({
    keywords: z.array(z.string().trim().toLowerCase().min(1).max(100)).max(100),
    /** 0 turns escalation on repeated fallbacks off. */
    after_fallbacks: z.number().int().min(0).max(100),
    on_thumbs_down: z.boolean(),
  })
  .strict()
  .partial();
const RateLimitsIn = z
  .object({
    per_minute: z.number().int().min(1).max(100_000),
    per_day: z.number().int().min(1).max(10_000_000),
    ip_per_minute: z.number().int().min(1).max(100_000),
    ip_per_day: z.number().int().min(1).max(10_000_000),
  })
  .strict()
  .partial();

export const SettingsIn = z
  .object({
    lead_capture: LeadCaptureIn,
    escalation: EscalationIn,
    rate_limits: RateLimitsIn,
    allowed_origins: z.array(Origin).max(100),
    /** Least search score (BM25, after ratings' factors) an entry needs to be given as the answer. */
    confidence_threshold: z.number().min(0).max(1000),
  })
  .strict()
  .partial();
export type SettingsInT = z.output<typeof SettingsIn>;

export const DEFAULT_SETTINGS: ChatbotSettings = {
  lead_capture: { fields: ['name', 'email', 'phone'], after_messages: 2, default_region: null },
  escalation: { keywords: ['human', 'agent', 'person', 'operator', 'representative'], after_fallbacks: 2, on_thumbs_down: true },
  rate_limits: { per_minute: 20, per_day: 200, ip_per_minute: 100, ip_per_day: 1000 },
  allowed_origins: [],
  confidence_threshold: 1.5,
};

/** A PATCH changes only the settings it names; lists are replaced whole. */
export function mergeSettings(base: ChatbotSettings, patch: SettingsInT = {}): ChatbotSettings {
  return {
    lead_capture: { ...base.lead_capture, ...patch.lead_capture },
    escalation: { ...base.escalation, ...patch.escalation },
    rate_limits: { ...base.rate_limits, ...patch.rate_limits },
    allowed_origins: patch.allowed_origins ? [...new Set(patch.allowed_origins)] : base.allowed_origins,
    confidence_threshold: patch.confidence_threshold ?? base.confidence_threshold,
  };
}

/** Settings stored before a key existed read with that key's default. */
export function readSettings(stored: Partial<ChatbotSettings> | null | undefined): ChatbotSettings {
  return mergeSettings(DEFAULT_SETTINGS, (stored ?? {}) as SettingsInT);
}

export function originAllowed(settings: ChatbotSettings, origin: string): boolean {
  return settings.allowed_origins.includes('*') || settings.allowed_origins.includes(origin);
}
