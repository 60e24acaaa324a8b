import { useState } from 'react';
import { api } from '../../api.ts';
import { ErrorBox } from '../../ui/ErrorBox.tsx';
import type { Chatbot, ChatbotSettings, LeadField } from './types.ts';
import { useSubmit } from '../../ui/useSubmit.ts';

const FIELDS: { field: LeadField; label: string }[] = [
  { field: 'name', label: 'Name' },
  { field: 'email', label: 'E-mail' },
  { field: 'phone', label: 'Phone' },
];

// What the form shows for a new chatbot (the API fills in what the form does not send).
const DEFAULTS: Pick<ChatbotSettings, 'lead_capture' | 'escalation' | 'allowed_origins'> & {
  rate_limits: Pick<ChatbotSettings['rate_limits'], 'per_minute' | 'per_day'>;
} = {
  lead_capture: { fields: ['name', 'email', 'phone'], after_messages: 2, default_region: null },
  escalation: { keywords: ['human', 'agent', 'person'], after_fallbacks: 2, on_thumbs_down: true },
  rate_limits: { per_minute: 20, per_day: 200 },
  allowed_origins: [],
};

const list = (text: string, sep: RegExp) =>
  text
    .split(sep)
    .map((s) => s.trim())
    .filter(Boolean);

function browserRegion(): string {
  try {
    return new Intl.Locale(navigator.language).maximize().region ?? '';
  } catch {
    return '';
  }
}

/** Create or edit a chatbot: its greeting, what it asks for, when it hands over, where it may run. */
export function ChatbotForm({ bot, onSaved, onCancel }: { bot?: Chatbot; onSaved: (bot: Chatbot) => void | Promise<void>; onCancel?: () => void }) {
  const s = bot?.settings ?? DEFAULTS;
  const [name, setName] = useState(bot?.name ?? '');
  const [welcome, setWelcome] = useState(bot?.welcome_message ?? 'Hi! How can I help you today?');
  const [fields, setFields] = useState<LeadField[]>(s.lead_capture.fields);
  const [after, setAfter] = useState(String(s.lead_capture.after_messages));
  // A new chatbot reads local numbers in the country of the browser's language (en-US → US), which the owner can change.
  const [region, setRegion] = useState(bot ? (s.lead_capture.default_region ?? '') : browserRegion());
  const [keywords, setKeywords] = useState(s.escalation.keywords.join(', '));
  const [afterFallbacks, setAfterFallbacks] = useState(String(s.escalation.after_fallbacks));
  const [onThumbsDown, setOnThumbsDown] = useState(s.escalation.on_thumbs_down);
  const [origins, setOrigins] = useState(s.allowed_origins.join('\n'));
  const [perMinute, setPerMinute] = useState(String(s.rate_limits.per_minute));
  const [perDay, setPerDay] = useState(String(s.rate_limits.per_day));
  const { busy, error, run } = useSubmit();

  const submit = () =>
    run(async () => {
      // Only what the form shows: the API merges it over the rest (per-address limits, threshold).
      const settings = {
        lead_capture: {
          fields: FIELDS.map((f) => f.field).filter((f) => fields.includes(f)),
          after_messages: Number(after),
          default_region: region.trim() || null,
        },
        escalation: { keywords: list(keywords, /,/), after_fallbacks: Number(afterFallbacks), on_thumbs_down: onThumbsDown },
        allowed_origins: list(origins, /[\s,]+/),
        rate_limits: { per_minute: Number(perMinute), per_day: Number(perDay) },
      };
      const body = { name, welcome_message: welcome, settings };
      await onSaved(bot ? await api<Chatbot>('PATCH', `/chatbots/${bot.id}`, body) : await api<Chatbot>('POST', '/chatbots', body));
    });

  return (
    <form className="card chatbot-form" aria-label={bot ? 'Chatbot settings' : 'New chatbot'} onSubmit={(e) => (e.preventDefault(), void submit())}>
      {!bot && <h2>New chatbot</h2>}
      <label>
        Name
        <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} placeholder="Acme Plumbing Bot" />
      </label>
      <label>
        Welcome message
        <textarea value={welcome} onChange={(e) => setWelcome(e.target.value)} rows={2} maxLength={2000} />
      </label>
      <fieldset>
        <legend>Lead capture</legend>
        <div className="chips" role="group" aria-label="Ask the visitor for">
          {FIELDS.map((f) => (
            <label key={f.field} className="chip">
              <input
                type="checkbox"
                checked={fields.includes(f.field)}
                onChange={(e) => setFields(e.target.checked ? [...fields, f.field] : fields.filter((x) => x !== f.field))}
              />
              {f.label}
            </label>
          ))}
        </div>
        <label className="narrow">
          Ask after this many visitor messages
          <input type="number" min={0} max={1000} value={after} onChange={(e) => setAfter(e.target.value)} />
        </label>
        <label className="narrow">
          Default country for phone numbers <span className="muted">(two letters, e.g. US, GB: how “(415) 555-0199”, typed without +code, is read)</span>
          <input value={region} onChange={(e) => setRegion(e.target.value.toUpperCase())} maxLength={2} placeholder="US" />
        </label>
      </fieldset>
      <fieldset>
        <legend>Hand over to a person</legend>
        <label>
          Escalation keywords <span className="muted">(comma-separated)</span>
          <input value={keywords} onChange={(e) => setKeywords(e.target.value)} placeholder="human, agent" />
        </label>
        <label className="narrow">
          After this many unanswered questions
          <input type="number" min={0} max={100} value={afterFallbacks} onChange={(e) => setAfterFallbacks(e.target.value)} />
        </label>
        <label className="inline">
          <input type="checkbox" checked={onThumbsDown} onChange={(e) => setOnThumbsDown(e.target.checked)} /> When a visitor gives a reply a thumbs-down
        </label>
      </fieldset>
      <fieldset>
        <legend>Where the widget may run</legend>
        <label>
          Allowed origins <span className="muted">(one per line, e.g. https://www.example.com)</span>
          <textarea value={origins} onChange={(e) => setOrigins(e.target.value)} rows={3} placeholder="https://www.example.com" />
        </label>
      </fieldset>
      <fieldset>
        <legend>Rate limits per visitor</legend>
        <div className="grid2">
          <label>
            Messages per minute
            <input type="number" min={1} value={perMinute} onChange={(e) => setPerMinute(e.target.value)} />
          </label>
          <label>
            Messages per day
            <input type="number" min={1} value={perDay} onChange={(e) => setPerDay(e.target.value)} />
          </label>
        </div>
      </fieldset>
      <ErrorBox error={error} />
      <div className="row">
        <button className="primary" type="submit" disabled={busy}>
          {busy ? 'Saving…' : bot ? 'Save changes' : 'Create chatbot'}
        </button>
        {onCancel && (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
