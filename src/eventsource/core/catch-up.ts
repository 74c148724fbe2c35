import { nextFireTime, type Schedule } from './schedule.js';

interface PlanFireInput {
  schedule: Schedule;
  /** The tick's scheduled time (fixed rate). */
  scheduledTime: Date;
  /** The current time, as the caller knows it (in an orchestrator: context.df.currentUtcDateTime). */
  now: Date;
  /** How late a tick may still be delivered. Older ticks are skipped. 0 = deliver only ticks not yet due. */
  catchUpWindowMs: number;
}

interface FirePlan {
  /** The tick to fire: `scheduledTime` itself or the first later tick inside the window. */
  fireAt: Date;
  /**
   * How many ticks (starting with `scheduledTime`) were too old and are skipped. Exact for intervals; for cron exact
   * up to EXACT_CRON_SKIPS, an estimate beyond (see planCron).
   */
  skipped: number;
}

/**
 * Decides which tick to fire after downtime. Ticks missed by at most `catchUpWindowMs` are delivered late, in order
 * (the caller calls planFire again for each). Older ticks are skipped and counted. Pure.
 */
export function planFire({ schedule, scheduledTime, now, catchUpWindowMs }: PlanFireInput): FirePlan {
  if (!Number.isFinite(catchUpWindowMs) || catchUpWindowMs < 0) {
    throw new RangeError(`catchUpWindowMs must be a non-negative number, got ${catchUpWindowMs}`);
  }
  const oldestAllowed = now.getTime() - catchUpWindowMs;
  if (scheduledTime.getTime() >= oldestAllowed) return { fireAt: scheduledTime, skipped: 0 };
  if (schedule.kind === 'interval') {
    // Jump straight there: after a long outage a short interval would otherwise loop millions of times.
    const behind = oldestAllowed - scheduledTime.getTime();
    const skipped = Math.ceil(behind / schedule.everyMs);
    return { fireAt: new Date(scheduledTime.getTime() + skipped * schedule.everyMs), skipped };
  }
  return planCron(schedule, scheduledTime, oldestAllowed);
}

/**
 * Cron ticks are counted by a walk of at most this many ticks: croner needs 0.1-0.25 ms per fire time, and the
 * orchestrator plans again on every replay, so the cost must not grow with the downtime (a per-second cron a day
 * behind would otherwise walk 86,400 ticks, 20 s, next to lease renewal).
 */
export const EXACT_CRON_SKIPS = 32;

/**
 * The tick to fire is found directly: the first match at or after the oldest allowed time (croner's nextRun is
 * strictly after its start, in whole seconds). The skipped ticks are counted exactly up to EXACT_CRON_SKIPS; beyond
 * that the count is an estimate: the rest of the gap divided by the average spacing of the ticks walked (exact for
 * evenly spaced patterns like `*\/5 * * * *`, close for others, off by the odd hour across a DST change).
 */
function planCron(schedule: Extract<Schedule, { kind: 'cron' }>, scheduledTime: Date, oldestAllowed: number): FirePlan {
  let tick = scheduledTime;
  let skipped = 0;
  while (skipped < EXACT_CRON_SKIPS) {
    if (tick.getTime() >= oldestAllowed) return { fireAt: tick, skipped };
    tick = nextFireTime(schedule, tick);
    skipped += 1;
  }
  if (tick.getTime() >= oldestAllowed) return { fireAt: tick, skipped };
  // `tick` is the (EXACT_CRON_SKIPS + 1)-th tick and still too old: jump to the first one inside the window.
  const fireAt = nextFireTime(schedule, new Date(oldestAllowed - 1));
  const meanSpacing = (tick.getTime() - scheduledTime.getTime()) / skipped;
  const rest = Math.max(1, Math.round((fireAt.getTime() - tick.getTime()) / meanSpacing));
  return { fireAt, skipped: skipped + rest };
}
