import { useRef } from 'react';
import {
  DEFAULT_SIGNATURE_PRESET,
  SIGNATURE_FORMATS,
  SIGNATURE_PRESET_NAMES,
  SIGNATURE_PRESETS,
  type Signature,
  type SignatureFormat,
  type SignaturePresetName,
} from '../../../shared/connectors.ts';

const FORMAT_WORDS: Record<SignatureFormat, string> = {
  hex: 'hex HMAC-SHA256 of the body',
  'sha256=hex': 'sha256=<hex HMAC-SHA256 of the body>',
  base64: 'base64 HMAC-SHA256 of the body',
  secret: 'the secret itself',
};
const OWN = 'own';
type Choice = SignaturePresetName | typeof OWN;

/**
 * The signature as the form holds it while it is typed: a header of one's own may still be empty,
 * and names are trimmed only by `finishSignature`. A header (even empty) means "my own".
 */
const choiceOf = (s: Signature): Choice => (s.header !== undefined ? OWN : (s.preset ?? DEFAULT_SIGNATURE_PRESET));

/** The signature to send: names trimmed, an empty event header left out. */
export function finishSignature(s: Signature): Signature {
  const event = s.event_header?.trim() ? { event_header: s.event_header.trim() } : {};
  return s.header !== undefined ? { header: s.header.trim(), format: s.format ?? 'hex', ...event } : { preset: s.preset ?? DEFAULT_SIGNATURE_PRESET, ...event };
}

export const sameSignature = (a: Signature, b: Signature) => JSON.stringify(a, Object.keys(a).sort()) === JSON.stringify(b, Object.keys(b).sort());

type Props = {
  value: Signature;
  onChange: (s: Signature) => void;
  /** Messages for the fields, by their path in the signature (`header`, `event_header`…), e.g. a flow node's schema errors. */
  errors?: Partial<Record<keyof Signature, string>>;
  /** One field under another, for a narrow side panel. */
  narrow?: boolean;
};

/**
 * Which headers carry a webhook's signature and event type: a product's convention (a preset), or a
 * header and format of one's own. Drawn by the Webhooks page's form and a flow's webhook step, on
 * the same `Signature` the API takes (connectors/http-webhook/signature.ts).
 */
export function SignatureFields({ value, onChange, errors = {}, narrow = false }: Props) {
  const choice = choiceOf(value);
  const preset = choice === OWN ? null : SIGNATURE_PRESETS[choice];
  // A header typed, then a preset tried, then "my own" again: the header comes back.
  const lastOwn = useRef({ header: value.header ?? '', format: value.format ?? ('hex' as SignatureFormat) });
  const event = value.event_header ? { event_header: value.event_header } : {};
  const choose = (next: Choice) => {
    if (choice === OWN) lastOwn.current = { header: value.header ?? '', format: value.format ?? 'hex' };
    onChange(next === OWN ? { ...lastOwn.current, ...event } : { preset: next, ...event });
  };
  const error = (key: keyof Signature) =>
    errors[key] ? (
      <span className="flow-field-error" data-testid={`error-signature-${key}`}>
        {errors[key]}
      </span>
    ) : null;
  return (
    <fieldset data-testid="webhook-signature" className={narrow ? 'flow-choice' : undefined}>
      <legend>Signature headers</legend>
      <label>
        Signature preset <span className="muted">(the convention your receiver already checks)</span>
        <select value={choice} onChange={(e) => choose(e.target.value as Choice)}>
          {SIGNATURE_PRESET_NAMES.map((p) => (
            <option key={p} value={p}>
              {SIGNATURE_PRESETS[p].label}
              {p === DEFAULT_SIGNATURE_PRESET ? ' (default)' : ''}
            </option>
          ))}
          <option value={OWN}>A header of my own…</option>
        </select>
      </label>
      {preset && (
        <p className="muted small-text" data-testid="signature-says">
          {preset.says}
        </p>
      )}
      {choice === OWN && (
        <div className={narrow ? undefined : 'grid2'}>
          <label>
            Signature header name
            <input value={value.header ?? ''} onChange={(e) => onChange({ ...value, header: e.target.value })} placeholder="X-Signature" autoComplete="off" />
            {error('header')}
          </label>
          <label>
            Signature format
            <select value={value.format ?? 'hex'} onChange={(e) => onChange({ ...value, format: e.target.value as SignatureFormat })}>
              {SIGNATURE_FORMATS.map((f) => (
                <option key={f} value={f}>
                  {f}: {FORMAT_WORDS[f]}
                </option>
              ))}
            </select>
            {error('format')}
          </label>
        </div>
      )}
      <label>
        Event type header{' '}
        <span className="muted">(optional: a header carrying the event's type{preset?.eventHeader ? `; empty sends ${preset.eventHeader}` : ''})</span>
        <input
          value={value.event_header ?? ''}
          onChange={(e) => {
            const { event_header: _, ...rest } = value;
            onChange(e.target.value ? { ...rest, event_header: e.target.value } : rest);
          }}
          placeholder={preset?.eventHeader ?? 'X-Event-Type'}
          autoComplete="off"
        />
        {error('event_header')}
      </label>
      {error('preset')}
    </fieldset>
  );
}
