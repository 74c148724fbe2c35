/**
 * Delivery retry policy with Knative's `spec.delivery` semantics, for the attempts of one tick.
 * Pure: the caller (an orchestrator) sleeps on a durable timer for the returned delay.
 */
export interface RetryPolicy {
  /** Total attempts per tick, the first one included (>= 1). */
  maxAttempts: number;
  backoffPolicy: 'exponential' | 'linear';
  /** Base delay (Knative `backoffDelay`). */
  backoffDelayMs: number;
  /** Upper bound for any single delay, the Retry-After one included. */
  maxBackoffMs: number;
}

export interface FailureInfo {
  retryable: boolean;
  /** From the sink's Retry-After header, if it sent one. */
  retryAfterMs?: number;
}

/**
 * The delay before the next attempt, or undefined to give up.
 * - `attemptsSoFar` is the number of attempts already made (the first failure → 1).
 * - Non-retryable failure, or `attemptsSoFar >= maxAttempts` → undefined.
 * - exponential: backoffDelay * 2^(n-1); linear: backoffDelay * n (n = attemptsSoFar), as Knative computes them.
 * - Retry-After: the sink asked us to wait at least that long, so the delay is max(computed, retryAfter).
 * - Every delay is capped at maxBackoffMs, Retry-After included: a sink asking for an hour must not stall the
 *   schedule for an hour; retrying a little early only costs one more failed attempt, which is counted.
 */
export function retryDelay(policy: RetryPolicy, attemptsSoFar: number, failure: FailureInfo): number | undefined {
  if (!failure.retryable) return undefined;
  if (attemptsSoFar >= policy.maxAttempts) return undefined;
  const n = Math.max(1, Math.floor(attemptsSoFar));
  const computed =
    policy.backoffPolicy === 'exponential'
      ? policy.backoffDelayMs * 2 ** (n - 1)
      : policy.backoffDelayMs * n;
  const retryAfter = failure.retryAfterMs !== undefined && failure.retryAfterMs > 0 ? failure.retryAfterMs : 0;
  return Math.round(Math.max(0, Math.min(Math.max(computed, retryAfter), policy.maxBackoffMs)));
}
