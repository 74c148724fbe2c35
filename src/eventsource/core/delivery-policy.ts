/**
 * A schedule's delivery policy, with Knative's `spec.delivery` field names, already normalised (durations in
 * milliseconds, URLs parsed and checked). The schedule schema maps the user-facing form (`retry: 5`,
 * `backoffDelay: 1s`, ...) onto this; the environment's DELIVERY_* variables give the defaults.
 */
import type { RetryPolicy } from './retry-policy.js';

export interface DeliveryPolicy {
  /** Retries after the first attempt, as Knative counts them (`retry: 5` → up to 6 attempts per tick). */
  retry: number;
  backoffPolicy: 'exponential' | 'linear';
  /** First back-off delay (Knative `backoffDelay`). */
  backoffDelay: number;
  /** Cap of any single delay, a 429/503 `Retry-After` included, and the pause before a kept tick is tried again. */
  maxBackoff: number;
  /** Deadline of one attempt: connect, send, response headers and body. */
  timeout: number;
  /** Where a tick goes when its attempts run out or the sink refuses it for good; absent: DEAD_LETTER_SINK, else kept and retried. */
  deadLetterSink?: string;
}

/** The attempts-per-tick policy the state machine runs (retry-policy.ts) for a delivery policy. */
export function retryPolicyOf(policy: DeliveryPolicy): RetryPolicy {
  return {
    maxAttempts: policy.retry + 1,
    backoffPolicy: policy.backoffPolicy,
    backoffDelayMs: policy.backoffDelay,
    maxBackoffMs: policy.maxBackoff,
  };
}

/** The delivery policy of the environment (DELIVERY_* and DEAD_LETTER_SINK), where DELIVERY_RETRY counts attempts. */
export function deliveryPolicyOf(
  retry: RetryPolicy,
  timeoutMs: number,
  deadLetterSink?: URL,
): DeliveryPolicy {
  return {
    retry: retry.maxAttempts - 1,
    backoffPolicy: retry.backoffPolicy,
    backoffDelay: retry.backoffDelayMs,
    maxBackoff: retry.maxBackoffMs,
    timeout: timeoutMs,
    ...(deadLetterSink !== undefined ? { deadLetterSink: deadLetterSink.href } : {}),
  };
}
