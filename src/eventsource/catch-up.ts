import { nextFireTime, type Schedule } from './schedule.js';

export interface PlanFireInput {
  schedule: Schedule;
  /** The tick's scheduled time (fixed rate). */
  scheduledTime: Date;
  /** The current time, as the caller knows it (in an orchestrator: context.df.currentUtcDateTime). */
  now: Date;
  /** How late a tick may still be delivered. Older ticks are skipped. 0 = deliver only ticks not yet due. */
  catchUpWindowMs: number;
}

export interface FirePlan {
  /** The tick to fire: `scheduledTime` itself or the first later tick inside the window. */
  fireAt: Date;
  /** How many ticks (starting with `scheduledTime`) were too old and are skipped. */
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
  let fireAt = scheduledTime;
  let skipped = 0;
  while (fireAt.getTime() < oldestAllowed) {
    fireAt = nextFireTime(schedule, fireAt);
    skipped += 1;
  }
  return { fireAt, skipped };
}
