import { type CountryCode, findPhoneNumbersInText, getExampleNumber, isSupportedCountry, parsePhoneNumberFromString } from 'libphonenumber-js';
import examples from 'libphonenumber-js/mobile/examples';
import { z } from 'zod';
import type { ChatbotSettings, ConversationLead, LeadField } from '../db/schema.ts';
import type { RankedEntry } from './retrieval.ts';

const Email = z.email();
const PHONE_CANDIDATE = /\+?\(?\d[\d\s().-]{5,}\d/g;
const EMAIL_CANDIDATE = /[^\s@<>()[\],;:"']+@[^\s@<>()[\],;:"']+\.[^\s@<>()[\],;:"']+/g;

// One to four words of letters (any script), allowing O'Brien and Jean-Luc.
const NAME_WORDS = "\\p{L}[\\p{L}'’.-]*(?:\\s+\\p{L}[\\p{L}'’.-]*){0,3}";
const NAME_INTROS = [
  new RegExp(`\\bmy name(?:'s| is)\\s+(${NAME_WORDS})`, 'iu'),
  new RegExp(`\\bname\\s*[:=]\\s*(${NAME_WORDS})`, 'iu'),
  // These need a capital: "I'm looking for a plumber" and "call me on +1…" are not names.
  /\b(?:[Ii] am|[Ii]'m|[Ii]’m|[Ii]m|[Cc]all me|[Tt]his is)\s+(\p{Lu}[\p{L}'’.-]*(?:\s+\p{Lu}[\p{L}'’.-]*){0,3})/u,
];
/** Words that end a name where a sentence goes on: "my name is Jane and my email is …". */
const NAME_STOP = new Set([
  'and',
  'my',
  'email',
  'e-mail',
  'phone',
  'number',
  'from',
  'at',
  'with',
  'here',
  'i',
  'im',
  "i'm",
  'you',
  'can',
  'please',
  'but',
  'or',
  'the',
  'is',
  'mobile',
  'tel',
]);
const NOT_NAMES = new Set(['yes', 'no', 'ok', 'okay', 'sure', 'thanks', 'thank you', 'hi', 'hello', 'hey', 'nope', 'human', 'agent']);

function cleanName(raw: string): string | undefined {
  const words: string[] = [];
  for (const w of raw.trim().split(/\s+/)) {
    if (NAME_STOP.has(w.toLowerCase())) break;
    words.push(w.replace(/[.]+$/, ''));
  }
  const name = words.join(' ').trim();
  if (!name || name.length > 100 || NOT_NAMES.has(name.toLowerCase())) return undefined;
  // A name given in lower case is stored as people write names.
  return name === name.toLowerCase() ? name.replace(/(^|[\s'-])(\p{L})/gu, (_m, sep: string, c: string) => sep + c.toUpperCase()) : name;
}

export function extractEmail(text: string): string | undefined {
  for (const m of text.match(EMAIL_CANDIDATE) ?? []) {
    const candidate = m.replace(/[.]+$/, '');
    if (Email.safeParse(candidate).success) {
      const at = candidate.lastIndexOf('@');
      return candidate.slice(0, at) + candidate.slice(at).toLowerCase();
    }
  }
  return undefined;
}

/** E.164, or nothing: without a default region only numbers written with their country code are understood. */
export function extractPhone(text: string, region: string | null | undefined): string | undefined {
  // E-mail addresses can hold digit runs that read as numbers.
  const withoutEmails = text.replace(EMAIL_CANDIDATE, ' ');
  const found = findPhoneNumbersInText(withoutEmails, region ? { defaultCountry: region as CountryCode } : undefined);
  if (found.length) return found[0].number.number;
  // The text finder keeps only valid numbers; a possible one (the right length for its country,
  // such as the fictional +1 555 … numbers of examples and tests) is a number the visitor meant.
  for (const candidate of withoutEmails.match(PHONE_CANDIDATE) ?? []) {
    const parsed = parsePhoneNumberFromString(candidate, region ? (region as CountryCode) : undefined);
    if (parsed?.isPossible()) return parsed.number;
  }
  return undefined;
}

export function extractName(text: string, asking: LeadField | undefined): string | undefined {
  for (const re of NAME_INTROS) {
    const m = re.exec(text);
    if (m) {
      const name = cleanName(m[1]);
      if (name) return name;
    }
  }
  // Asked for a name, a visitor often answers with just the name.
  if (asking === 'name') {
    const bare = text.trim().replace(/[.!]+$/, '');
    if (new RegExp(`^${NAME_WORDS}$`, 'u').test(bare) && !/@|\d/.test(bare)) return cleanName(bare);
  }
  return undefined;
}

/**
 * The country a number written without +code belongs to: the chatbot's setting, else the region of
 * the visitor's browser language (`en-US` → US; `en` alone → US, as Intl fills it in), else none.
 */
export function phoneRegion(settings: ChatbotSettings, locale: string | undefined): CountryCode | undefined {
  if (settings.lead_capture.default_region) return settings.lead_capture.default_region as CountryCode;
  if (!locale) return undefined;
  try {
    const region = new Intl.Locale(locale).maximize().region;
    return region && isSupportedCountry(region) ? region : undefined;
  } catch {
    return undefined; // not a language tag: no region
  }
}

const PHONE_WORDS = /\b(phone|number|tel|telephone|mobile|cell|call|whatsapp|reach me)\b/i;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * A phone number the visitor typed that could not be read: a run of 7–17 digits that is not a date,
 * given as an answer to the bot's question for a phone, next to a word such as "phone", or as most
 * of the message. Prices and order numbers in a sentence are not taken for one.
 */
export function unreadablePhone(text: string, asking: LeadField | undefined): boolean {
  const withoutEmails = text.replace(EMAIL_CANDIDATE, ' ');
  const candidate = (withoutEmails.match(PHONE_CANDIDATE) ?? []).find((c) => {
    const digits = c.replace(/\D/g, '').length;
    return digits >= 7 && digits <= 17 && !ISO_DATE.test(c.trim());
  });
  if (!candidate) return false;
  return asking === 'phone' || PHONE_WORDS.test(withoutEmails) || candidate.trim().length >= withoutEmails.trim().length * 0.6;
}

/** "I couldn't read that phone number…", with an example in the chatbot's country (US when none). */
export function unreadablePhoneReply(region: CountryCode | undefined): string {
  const example = region && region !== 'US' ? getExampleNumber(region, examples)?.formatInternational() : undefined;
  return `I couldn't read that phone number — could you type it with the country code, like ${example ?? '+1 415 555 0199'}?`;
}

/** What this message adds to the lead (fields already known are kept as first given). */
export function extractLead(text: string, region: CountryCode | undefined, asking: LeadField | undefined): ConversationLead {
  const found: ConversationLead = {};
  const email = extractEmail(text);
  if (email) found.email = email;
  const phone = extractPhone(text, region);
  if (phone) found.phone = phone;
  const name = extractName(text, asking);
  if (name) found.name = name;
  return found;
}

/**
 * The message without the contact details found in it, for searching the knowledge base: a name, an
 * address or a number is no question ("I'm Dana Fox" must not fuzzily match "Do you fix…").
 */
export function withoutContactDetails(text: string, found: ConversationLead): string {
  let rest = text.replace(EMAIL_CANDIDATE, ' ').replace(PHONE_CANDIDATE, ' ');
  if (found.name) {
    for (const word of found.name.split(/\s+/))
      rest = rest.replace(new RegExp(`(^|[^\\p{L}])${word.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?=$|[^\\p{L}])`, 'giu'), '$1 ');
    rest = rest.replace(/\b(my name(?:'s| is)|name\s*[:=]|i am|i'm|i’m|im|call me|this is)\b/giu, ' ');
  }
  const left = rest.replace(/\s+/g, ' ').trim();
  return /^[\s\p{P}]*$/u.test(left) ? '' : left;
}

export function missingFields(settings: ChatbotSettings, lead: ConversationLead): LeadField[] {
  return settings.lead_capture.fields.filter((f) => !lead[f]);
}

/** A lead is complete once every field the chatbot asks for is known (a chatbot asking for none captures none). */
export function leadComplete(settings: ChatbotSettings, lead: ConversationLead): boolean {
  return settings.lead_capture.fields.length > 0 && missingFields(settings, lead).length === 0;
}

export const ASK: Record<LeadField, string> = {
  name: 'May I have your name?',
  email: 'What is your e-mail address, so the team can get back to you?',
  phone: 'And a phone number where we can reach you (with the country code, e.g. +1 555 555 0123)?',
};

const INTENT_KEYWORDS: [RegExp, string][] = [
  [/\b(quote|quotation|estimate|how much|price|pricing|cost|costs|rates?)\b/i, 'request_quote'],
  [/\b(book|booking|appointment|schedule|reserve|visit)\b/i, 'book_appointment'],
  [/\b(demo|trial)\b/i, 'request_demo'],
  [/\b(broken|not working|problem|issue|help|support|leak|leaking|error)\b/i, 'support'],
  [/\b(cancel|refund|complaint)\b/i, 'complaint'],
];

/**
 * What the visitor wants: a tag `intent:<name>` of the answering entry, else its first tag, else
 * keywords of the message; undefined if nothing says.
 */
export function detectIntent(message: string, answered: RankedEntry | undefined): string | undefined {
  const tags = answered?.entry.tags ?? [];
  const explicit = tags.find((t) => t.startsWith('intent:'));
  if (explicit) return explicit.slice('intent:'.length).trim().replace(/\s+/g, '_') || undefined;
  if (tags.length) return tags[0].replace(/\s+/g, '_');
  return INTENT_KEYWORDS.find(([re]) => re.test(message))?.[1];
}
