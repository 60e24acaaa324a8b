// @vitest-environment happy-dom
// How the portal words an open circuit breaker: the reason, then the next probe in the viewer's
// local time as HH:MM (with its day when that is not today), distinct from a disabled destination.
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { circuitSentence, CircuitStatus, probeTime, type CircuitWire } from '../../web/src/ui/CircuitStatus.tsx';

afterEach(cleanup);

const open = (next: Date | null): Extract<CircuitWire, { state: 'open' }> => ({
  state: 'open',
  failures: 12,
  reason: '12 timeouts in a row',
  opened_at: new Date(2026, 2, 3, 13, 0).toISOString(),
  next_probe_at: next?.toISOString() ?? null,
  message: 'paused by Wirehub: …',
});

describe('circuit status', () => {
  const now = new Date(2026, 2, 3, 13, 30);

  it('says the reason and the next probe as local HH:MM', () => {
    expect(circuitSentence(open(new Date(2026, 2, 3, 14, 5)), now)).toBe('12 timeouts in a row — next probe 14:05');
    // Just after midnight is 00:05, not the 24:05 some locales print with hour12: false.
    expect(probeTime(new Date(2026, 2, 4, 0, 5).toISOString(), new Date(2026, 2, 4, 0, 1))).toBe('00:05');
  });

  it('names the day of a probe that is not today, and a probe already due', () => {
    const tomorrow = circuitSentence(open(new Date(2026, 2, 4, 9, 30)), now);
    expect(tomorrow).toMatch(/^12 timeouts in a row — next probe \S+.* 09:30$/);
    expect(tomorrow).not.toBe('12 timeouts in a row — next probe 09:30');
    expect(circuitSentence(open(new Date(2026, 2, 3, 13, 29)), now)).toBe('12 timeouts in a row — probe due now');
    expect(circuitSentence(open(null), now)).toBe('12 timeouts in a row');
  });

  it('shows the badge only while the circuit is open', () => {
    const { rerender } = render(<CircuitStatus circuit={open(new Date(Date.now() + 60_000))} />);
    expect(screen.getByTestId('circuit-open').textContent).toMatch(/^Paused by Wirehub12 timeouts in a row — next probe \d\d:\d\d$/);
    rerender(<CircuitStatus circuit={{ state: 'closed', failures: 2 }} />);
    expect(screen.queryByTestId('circuit-open')).toBeNull();
  });
});
