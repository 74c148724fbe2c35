/**
 * The app's one doubling back-off (the event source and the Functions app; the engine, its own package, has its own
 * in src/durable/backoff.ts): pure, no clock, so the orchestrator's delivery policy may use it too.
 */

/** Where a doubling back-off starts (attempt 1) and the most it grows to. */
export interface BackoffBounds {
  readonly firstMs: number;
  readonly maxMs: number;
}

/** `firstMs * 2^(attempt-1)`, at most `maxMs`; attempts below 1 count as 1. */
export function backoffMs(attempt: number, { firstMs, maxMs }: BackoffBounds): number {
  const n = Math.max(1, Math.floor(attempt));
  // The exponent stops where 2^x is still finite: 0 × Infinity would be NaN.
  return Math.min(maxMs, firstMs * 2 ** Math.min(n - 1, 1023));
}
