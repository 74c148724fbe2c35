/**
 * The (source, id) pairs hello-events saw recently, to tell a redelivered CloudEvent from a new one. The CloudEvents
 * spec makes (source, id) the identity of an event; the event source gives a tick the same id on every redelivery
 * and backfill, so a receiver that remembers the pairs for a while sees each tick once.
 *
 * Bounded under any input: at most `maxEntries` pairs (the oldest goes first) and none older than `maxAgeMs`. A pair
 * is kept as a SHA-256 digest of source and id, so an entry costs the same whatever the sender puts in them (an id
 * may be as long as the 1 MiB body allows).
 */
import { createHash } from 'node:crypto';

export interface DedupSettings {
  /** Most pairs remembered; the oldest is forgotten first. */
  readonly maxEntries: number;
  /** A pair is forgotten this long after it was first seen. */
  readonly maxAgeMs: number;
}

export const DEFAULT_DEDUP: DedupSettings = { maxEntries: 10_000, maxAgeMs: 60 * 60_000 };

export type DedupResult = { readonly duplicate: false } | { readonly duplicate: true; readonly firstSeen: Date };

export class DedupWindow {
  /** digest → first-seen time (ms). A Map iterates in insertion order, i.e. oldest first. */
  private readonly seen = new Map<string, number>();

  /**
   * @param now the clock (ms). If it steps back (an NTP correction), pairs are forgotten later than `maxAgeMs`
   *   says until it catches up; the count bound holds regardless.
   */
  constructor(
    readonly settings: DedupSettings = DEFAULT_DEDUP,
    private readonly now: () => number = Date.now,
  ) {
    if (!Number.isSafeInteger(settings.maxEntries) || settings.maxEntries < 1) {
      throw new RangeError(`maxEntries must be a positive integer, got ${settings.maxEntries}`);
    }
    if (!(settings.maxAgeMs > 0)) throw new RangeError(`maxAgeMs must be positive, got ${settings.maxAgeMs}`);
  }

  /** Pairs remembered now (after forgetting the expired ones). */
  get size(): number {
    this.forgetExpired(this.now());
    return this.seen.size;
  }

  /** Records (source, id) as seen now, unless it was seen within the window: then says when it was first seen. */
  check(source: string, id: string): DedupResult {
    const now = this.now();
    this.forgetExpired(now);
    const key = digest(source, id);
    const firstSeen = this.seen.get(key);
    if (firstSeen !== undefined) return { duplicate: true, firstSeen: new Date(firstSeen) };
    this.seen.set(key, now);
    if (this.seen.size > this.settings.maxEntries) {
      const oldest = this.seen.keys().next();
      if (!oldest.done) this.seen.delete(oldest.value);
    }
    return { duplicate: false };
  }

  private forgetExpired(now: number): void {
    // Oldest first: the walk stops at the first pair still inside the window.
    for (const [key, firstSeen] of this.seen) {
      if (now - firstSeen < this.settings.maxAgeMs) return;
      this.seen.delete(key);
    }
  }
}

/** Length-prefixed, so ("a:b", "c") and ("a", "b:c") differ. */
function digest(source: string, id: string): string {
  return createHash('sha256').update(`${source.length}:${source}\n${id}`).digest('base64');
}
