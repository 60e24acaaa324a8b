/**
 * Values loaded from the database on a hot path, kept for a short TTL. Writes in this process call
 * invalidate() (or wrap their result in changed()); other processes see a change within the TTL.
 * A failed load is asked again next time; so is a miss (undefined/null) unless `keepMisses`. The
 * map is capped: past `maxEntries` it starts over, so keys a sender invents fill nothing for long.
 */
export class TtlCache<V> {
  private entries = new Map<string, { at: number; value: Promise<V> }>();

  constructor(private readonly opts: { ttlMs: number; maxEntries: number; keepMisses: boolean }) {}

  invalidate(): void {
    this.entries.clear();
  }

  /** Wraps the result of a write that may change what is cached: drops the cache, passes the result on. */
  changed<T>(result: T): T {
    this.invalidate();
    return result;
  }

  protected through(key: string, load: () => Promise<V>): Promise<V> {
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && now - hit.at < this.opts.ttlMs) return hit.value;
    const value = load();
    if (this.entries.size >= this.opts.maxEntries) this.entries.clear();
    this.entries.set(key, { at: now, value });
    const forget = () => {
      if (this.entries.get(key)?.value === value) this.entries.delete(key);
    };
    value.then((v) => {
      if (!this.opts.keepMisses && (v === undefined || v === null)) forget();
    }, forget);
    return value;
  }
}
