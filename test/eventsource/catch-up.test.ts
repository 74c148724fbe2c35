import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planFire } from '../../src/eventsource/catch-up.js';
import { nextFireTime, parseSchedule, type Schedule } from '../../src/eventsource/schedule.js';

const at = (iso: string): Date => new Date(iso);

/** Reference: walk tick by tick, counting the ones older than the window. */
function walk(schedule: Schedule, scheduledTime: Date, oldestAllowedMs: number): { fireAt: Date; skipped: number } {
  let fireAt = scheduledTime;
  let skipped = 0;
  while (fireAt.getTime() < oldestAllowedMs) {
    fireAt = nextFireTime(schedule, fireAt);
    skipped++;
  }
  return { fireAt, skipped };
}

describe('planFire', () => {
  const every10s = parseSchedule('10s');

  it('fires a tick that is not yet due or on time unchanged', () => {
    const scheduledTime = at('2025-01-01T00:01:00Z');
    for (const now of ['2025-01-01T00:00:00Z', '2025-01-01T00:01:00Z']) {
      assert.deepEqual(planFire({ schedule: every10s, scheduledTime, now: at(now), catchUpWindowMs: 60_000 }), { fireAt: scheduledTime, skipped: 0 });
    }
  });

  it('delivers late ticks inside the window, nothing skipped (window edge included)', () => {
    const scheduledTime = at('2025-01-01T00:00:00Z');
    for (const now of ['2025-01-01T00:00:30Z', '2025-01-01T00:01:00Z']) {
      assert.deepEqual(planFire({ schedule: every10s, scheduledTime, now: at(now), catchUpWindowMs: 60_000 }), { fireAt: scheduledTime, skipped: 0 });
    }
  });

  it('skips and counts interval ticks older than the window', () => {
    // Down from 00:00:00 to 00:10:05 with a 60 s window: oldest deliverable is 00:09:05; the first tick at or after
    // it is 00:09:10; ticks 00:00:00 .. 00:09:00 (55 of them) are skipped.
    const plan = planFire({
      schedule: every10s, scheduledTime: at('2025-01-01T00:00:00Z'), now: at('2025-01-01T00:10:05Z'), catchUpWindowMs: 60_000,
    });
    assert.deepEqual(plan, { fireAt: at('2025-01-01T00:09:10Z'), skipped: 55 });
  });

  it('with a window of 0 fires the first tick not in the past', () => {
    const plan = planFire({
      schedule: every10s, scheduledTime: at('2025-01-01T00:00:00Z'), now: at('2025-01-01T00:00:20Z'), catchUpWindowMs: 0,
    });
    assert.deepEqual(plan, { fireAt: at('2025-01-01T00:00:20Z'), skipped: 2 });
  });

  it('agrees with a tick-by-tick walk for intervals and cron schedules', () => {
    const cases: Array<[Schedule, string, string, number]> = [
      [parseSchedule('333ms'), '2025-01-01T00:00:00.000Z', '2025-01-01T01:00:00.123Z', 5_000],
      [parseSchedule('7s'), '2025-01-01T00:00:03.000Z', '2025-01-02T00:00:00.000Z', 60_000],
      [parseSchedule('*/5 * * * *'), '2025-01-01T00:00:00Z', '2025-01-01T06:02:00Z', 600_000],
      [parseSchedule('0 30 2 * * *', 'Europe/Berlin'), '2025-03-01T01:30:00Z', '2025-04-15T12:00:00Z', 86_400_000],
    ];
    for (const [schedule, scheduled, now, windowMs] of cases) {
      const scheduledTime = at(scheduled);
      const expected = walk(schedule, scheduledTime, at(now).getTime() - windowMs);
      const plan = planFire({ schedule, scheduledTime, now: at(now), catchUpWindowMs: windowMs });
      assert.ok(expected.skipped > 0, 'the case must skip something');
      assert.deepEqual(plan, expected, `${schedule.text} from ${scheduled}`);
    }
  });

  it('counts skipped cron ticks', () => {
    const plan = planFire({
      schedule: parseSchedule('0 0 * * * *'), scheduledTime: at('2025-01-01T00:00:00Z'), now: at('2025-01-01T10:30:00Z'), catchUpWindowMs: 3_600_000,
    });
    // Oldest deliverable 09:30: ticks 00:00 .. 09:00 (10) are skipped, 10:00 fires (late but in the window).
    assert.deepEqual(plan, { fireAt: at('2025-01-01T10:00:00Z'), skipped: 10 });
  });

  it('refuses a negative window', () => {
    assert.throws(() => planFire({ schedule: every10s, scheduledTime: at('2025-01-01T00:00:00Z'), now: at('2025-01-01T00:00:00Z'), catchUpWindowMs: -1 }), RangeError);
  });
});
