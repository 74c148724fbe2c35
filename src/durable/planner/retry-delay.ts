import type { RetryOptionsJson } from '../instance-state.js';

/**
 * Delay before the next attempt after `attempt` attempts failed, as DTFx's RetryOptions computes it:
 * firstRetryInterval × backoffCoefficient^(attempt-1), capped by maxRetryInterval.
 */
export function retryDelayMs(options: RetryOptionsJson, attempt: number): number {
  const first = Math.max(0, Number(options.firstRetryIntervalInMilliseconds) || 0);
  const coefficient = options.backoffCoefficient && options.backoffCoefficient > 0 ? options.backoffCoefficient : 1;
  const raw = first * Math.pow(coefficient, Math.max(0, attempt - 1));
  const cap = options.maxRetryIntervalInMilliseconds && options.maxRetryIntervalInMilliseconds > 0
    ? options.maxRetryIntervalInMilliseconds
    : Number.POSITIVE_INFINITY;
  const delay = Math.min(raw, cap);
  return Number.isFinite(delay) ? Math.round(delay) : 0;
}

/** True when waiting `delayMs` more would pass the retry timeout counted from the first attempt. */
export function retryTimedOut(options: RetryOptionsJson, firstAttemptAt: number, now: number, delayMs: number): boolean {
  const timeout = options.retryTimeoutInMilliseconds;
  if (!timeout || timeout <= 0 || !Number.isFinite(timeout)) return false;
  return now + delayMs - firstAttemptAt > timeout;
}
