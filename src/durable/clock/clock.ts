/**
 * Time as the embedded host sees it. Production uses the system clock; tests use a virtual clock that they
 * advance, so hours of schedule time run in seconds (like Temporal's time-skipping test environment).
 * Every timer in the host (durable timers, timer triggers, lease renewals, retry back-off) goes through this.
 */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /**
   * Calls `callback` once when `now()` reaches `at` (epoch ms). Returns a function that cancels it.
   * Under a virtual clock the callback runs when a test advances time past `at`.
   */
  at(at: number, callback: () => void): () => void;
  /** Resolves after `ms` of this clock's time (convenience over `at`). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}
