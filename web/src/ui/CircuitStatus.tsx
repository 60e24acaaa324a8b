import type { Circuit } from '../../../shared/api.ts';
import type { Wire } from '../pages/gateway/types.ts';

export type CircuitWire = Wire<Circuit>;
type Open = Extract<CircuitWire, { state: 'open' }>;

const two = (n: number) => String(n).padStart(2, '0');

/**
 * When the next probe goes, in the viewer's local time: "14:05", or with its day when that is not
 * today. Hours and minutes are padded by hand: `hour12: false` prints "24:05" in some locales.
 */
export function probeTime(iso: string, now = new Date()): string {
  const at = new Date(iso);
  const hhmm = `${two(at.getHours())}:${two(at.getMinutes())}`;
  return at.toDateString() === now.toDateString() ? hhmm : `${at.toLocaleDateString(undefined, { month: 'short', day: 'numeric' })} ${hhmm}`;
}

/** "12 timeouts in a row — next probe 14:05". */
export function circuitSentence(c: Open, now = new Date()): string {
  if (!c.next_probe_at) return c.reason;
  return `${c.reason} — ${new Date(c.next_probe_at) <= now ? 'probe due now' : `next probe ${probeTime(c.next_probe_at, now)}`}`;
}

const EXPLAINED =
  'Wirehub stopped sending here after timeouts or connection failures in a row. Its events wait; one probe goes at the time shown, and an answer resumes deliveries.';

/** An open circuit breaker: a badge and why, distinct from a destination someone disabled. Nothing when closed. */
export function CircuitStatus({ circuit }: { circuit: CircuitWire | undefined }) {
  if (circuit?.state !== 'open') return null;
  return (
    <div data-testid="circuit-open" title={EXPLAINED}>
      <span className="badge paused-by-hub">Paused by Wirehub</span>
      <div className="small-text" data-testid="circuit-reason">
        {circuitSentence(circuit)}
      </div>
    </div>
  );
}
