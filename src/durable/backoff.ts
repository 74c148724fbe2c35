/**
 * The engine's one doubling back-off (storage retries, failed steps). The engine is its own package and imports
 * nothing of the app, so the app has its own (src/eventsource/core/backoff.ts).
 */

/** Where a doubling back-off starts (attempt 1) and the most it grows to. */
interface BackoffBounds {
  readonly firstMs: number;
  readonly maxMs: number;
}

/** `firstMs * 2^(attempt-1)`, at most `maxMs`; attempts below 1 count as 1. */
export function backoffMs(attempt: number, { firstMs, maxMs }: BackoffBounds): number {
  const n = Math.max(1, Math.floor(attempt));
  // The exponent stops where 2^x is still finite: 0 × Infinity would be NaN.
  return Math.min(maxMs, firstMs * 2 ** Math.min(n - 1, 1023));
}
