import { api, ApiError } from '../api.ts';
import type { HeardRequest, ListenOut } from './flow-api.ts';

/** How long one press of "Listen" lasts: long enough to switch to a terminal or a form, short enough not to forget a tab. */
export const LISTEN_FOR_MS = 120_000;
/** One long poll's wait, in seconds (the server's most). */
const WAIT_S = 25;

export type ListenState =
  | { kind: 'idle' }
  | { kind: 'listening'; until: number; rejected: HeardRequest | null }
  | { kind: 'heard'; request: HeardRequest }
  | { kind: 'timed-out' }
  | { kind: 'failed'; message: string };

const IDLE: ListenState = { kind: 'idle' };

/**
 * "Listen for a test request", per source, for as long as the editor is open: the panel that
 * started it may close (the user drops the next step meanwhile) and the wait goes on; reopened, it
 * shows what was heard. The wait is a chain of long polls (GET /flows/source-sample/listen) that
 * ends after two minutes, on stop, or when the editor goes away (stopAll).
 */
export class ListenStore {
  private states = new Map<string, ListenState>();
  private running = new Map<string, AbortController>();
  private subs = new Set<() => void>();

  subscribe = (fn: () => void): (() => void) => {
    this.subs.add(fn);
    return () => this.subs.delete(fn);
  };

  get = (sourceId: string): ListenState => this.states.get(sourceId) ?? IDLE;

  private set(sourceId: string, state: ListenState): void {
    this.states.set(sourceId, state);
    for (const fn of this.subs) fn();
  }

  async start(sourceId: string): Promise<void> {
    this.running.get(sourceId)?.abort();
    const ctl = new AbortController();
    this.running.set(sourceId, ctl);
    const until = Date.now() + LISTEN_FOR_MS;
    this.set(sourceId, { kind: 'listening', until, rejected: null });
    let cursor: string | undefined;
    try {
      while (Date.now() < until) {
        const wait = Math.max(1, Math.min(WAIT_S, Math.ceil((until - Date.now()) / 1000)));
        const q = new URLSearchParams({ source_id: sourceId, wait: String(wait), ...(cursor ? { after: cursor } : {}) });
        const out = await api<ListenOut>('GET', `/flows/source-sample/listen?${q}`, undefined, { signal: ctl.signal });
        cursor = out.cursor;
        if (out.status === 'waiting') continue;
        // Turned away by the source's verification: it runs no flow, so it is no sample; keep listening.
        if (out.request.status === 'rejected') {
          this.set(sourceId, { kind: 'listening', until, rejected: out.request });
          continue;
        }
        this.set(sourceId, { kind: 'heard', request: out.request });
        return;
      }
      this.set(sourceId, { kind: 'timed-out' });
    } catch (err) {
      if (ctl.signal.aborted) return;
      this.set(sourceId, { kind: 'failed', message: err instanceof ApiError || err instanceof Error ? err.message : String(err) });
    } finally {
      if (this.running.get(sourceId) === ctl) this.running.delete(sourceId);
    }
  }

  stop(sourceId: string): void {
    this.running.get(sourceId)?.abort();
    this.set(sourceId, IDLE);
  }

  stopAll(): void {
    for (const ctl of this.running.values()) ctl.abort();
    this.running.clear();
  }
}
