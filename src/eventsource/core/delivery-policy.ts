/**
 * A schedule's delivery policy, with Knative's `spec.delivery` semantics, normalised (durations in milliseconds, the
 * dead-letter sink's URL checked), and its one table of defaults. The schedule schema maps the user-facing form
 * (`retry: 5`, `backoffDelay: 1s`, ...) onto it; the environment's DELIVERY_* variables (config/config.ts) default to
 * the same values and override them for the environment's schedule. Pure: the orchestrator sleeps on a durable timer
 * for the delay retryDelay returns.
 */
import { backoffMs } from './backoff.js';

export interface DeliveryPolicy {
  /** Retries after the first attempt, as Knative's `retry` counts them (`retry: 5` → up to 6 attempts per tick). */
  retry: number;
  backoffPolicy: 'exponential' | 'linear';
  /** First back-off delay (Knative `backoffDelay`). */
  backoffDelayMs: number;
  /** Cap of any single delay, a 429/503 `Retry-After` included, and the pause before a kept tick is tried again. */
  maxBackoffMs: number;
  /** Deadline of one attempt: connect, send, response headers and body. */
  timeoutMs: number;
  /** Where a tick goes when its attempts run out or the sink refuses it for good; absent: DEAD_LETTER_SINK, else kept and retried. */
  deadLetterSink?: string;
}

/** What a definition or the environment leaves out: 5 attempts, exponential from 1 s, at most 30 s apart, 10 s each. */
export const DELIVERY_DEFAULTS = {
  retry: 4,
  backoffPolicy: 'exponential',
  backoffDelayMs: 1_000,
  maxBackoffMs: 30_000,
  timeoutMs: 10_000,
} as const satisfies DeliveryPolicy;

/** The attempts one tick gets: the first, and `retry` more. */
export function maxAttemptsOf(policy: Pick<DeliveryPolicy, 'retry'>): number {
  return policy.retry + 1;
}

export interface FailureInfo {
  retryable: boolean;
  /** From the sink's Retry-After header, if it sent one. */
  retryAfterMs?: number;
}

/**
 * The delay before the next attempt, or undefined to give up.
 * - `attemptsSoFar` is the number of attempts already made (the first failure → 1).
 * - Non-retryable failure, or `attemptsSoFar >= maxAttemptsOf(policy)` → undefined.
 * - exponential: backoffDelay * 2^(n-1); linear: backoffDelay * n (n = attemptsSoFar), as Knative computes them.
 * - Retry-After: the sink asked us to wait at least that long, so the delay is max(computed, retryAfter).
 * - Every delay is capped at maxBackoffMs, Retry-After included: a sink asking for an hour must not stall the
 *   schedule for an hour; retrying a little early only costs one more failed attempt, which is counted.
 */
export function retryDelay(
  policy: Pick<DeliveryPolicy, 'retry' | 'backoffPolicy' | 'backoffDelayMs' | 'maxBackoffMs'>,
  attemptsSoFar: number,
  failure: FailureInfo,
): number | undefined {
  if (!failure.retryable) return undefined;
  if (attemptsSoFar >= maxAttemptsOf(policy)) return undefined;
  const n = Math.max(1, Math.floor(attemptsSoFar));
  const computed =
    policy.backoffPolicy === 'exponential'
      ? backoffMs(n, { firstMs: policy.backoffDelayMs, maxMs: policy.maxBackoffMs })
      : policy.backoffDelayMs * n;
  const retryAfter = failure.retryAfterMs !== undefined && failure.retryAfterMs > 0 ? failure.retryAfterMs : 0;
  return Math.round(Math.max(0, Math.min(Math.max(computed, retryAfter), policy.maxBackoffMs)));
}
