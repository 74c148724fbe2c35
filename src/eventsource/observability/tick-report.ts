/**
 * What one delivery attempt tells the metrics and the overload monitor about its tick, in the delivery activity
 * (which runs once per attempt, unlike the orchestrator, which is replayed): how the tick ended if this attempt
 * ended it, its lateness on its first attempt, the skips the orchestrator carried along.
 */
import type { TickRequest } from '../delivery/tick-request.js';
import type { EventSourceMetrics, TickOutcome } from './metrics.js';
import type { OverloadMonitor } from './overload.js';
import type { DeliveryResult } from '../core/schedule-state.js';

/**
 * How the tick ended with this attempt, as the orchestrator will count it (schedule-state's outcome), or undefined
 * when another attempt follows (a retryable failure before the last attempt).
 */
export function tickOutcomeOf(result: DeliveryResult, lastAttempt: boolean): TickOutcome | undefined {
  if (result.ok) return 'delivered';
  // Not sent (the sink is known down): the tick comes back without spending an attempt.
  if (result.sinkDown === true) return undefined;
  if (result.deadLettered === true) return 'dead_lettered';
  if (!result.retryable) return 'rejected';
  return lastAttempt ? 'failed' : undefined;
}

export function reportTick(metrics: EventSourceMetrics, overload: OverloadMonitor, request: TickRequest, result: DeliveryResult): void {
  const schedule = request.scheduleName;
  const outcome = tickOutcomeOf(result, request.lastAttempt === true);
  if (outcome !== undefined) metrics.ticks.inc({ schedule, outcome });
  const skipped = request.skipped ?? 0;
  if (skipped > 0) metrics.ticks.inc({ schedule, outcome: 'skipped' }, skipped);
  // A first attempt answered "sink down" is not the tick's first send: its lateness counts when that one is made.
  const lateMs = !result.ok && result.sinkDown === true ? undefined : request.lateMs;
  if (lateMs !== undefined) metrics.lateness.observe({ schedule }, lateMs / 1000);
  // Ticks a pause or restart held back on purpose are counted, but they are no sign of overload.
  const overdue = Math.max(0, skipped - (request.skippedOnPurpose ?? 0));
  if (lateMs !== undefined || overdue > 0) {
    const at = request.dispatchedAt !== undefined ? Date.parse(request.dispatchedAt) : Date.now();
    const scheduledAt = request.trigger === undefined ? Date.parse(request.scheduledTime) : Number.NaN;
    overload.observe(schedule, {
      ...(lateMs !== undefined ? { lateMs } : {}),
      skipped: overdue,
      at: Number.isNaN(at) ? Date.now() : at,
      ...(Number.isNaN(scheduledAt) ? {} : { scheduledAt }),
    });
  }
}
