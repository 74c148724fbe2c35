import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { EXACT_CRON_SKIPS, planFire } from '../../../src/eventsource/core/catch-up.js';
import { fuzzParameters } from '../../support/fuzz.js';
import { nextFireTime, parseSchedule, type Schedule } from '../../../src/eventsource/core/schedule.js';

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

  it('regression (issue #7): a per-second cron 30 days behind, or a per-minute one, plans in milliseconds, however long the downtime', () => {
    const scheduledTime = at('2030-01-01T00:00:00Z');
    const now = at('2030-01-31T00:00:00Z');
    for (const [text, spacingMs] of [['* * * * * *', 1_000], ['* * * * *', 60_000]] as const) {
      const schedule = parseSchedule(text, 'Europe/Berlin');
      const started = performance.now();
      const plan = planFire({ schedule, scheduledTime, now, catchUpWindowMs: 60_000 });
      const elapsed = performance.now() - started;
      assert.ok(elapsed < 100, `${text}: planned in ${elapsed.toFixed(1)} ms`);
      assert.equal(plan.fireAt.toISOString(), '2030-01-30T23:59:00.000Z');
      // Evenly spaced ticks: the estimate beyond the exact walk is exact.
      assert.equal(plan.skipped, (plan.fireAt.getTime() - scheduledTime.getTime()) / spacingMs);
    }
  });

  it('a sparse pattern far behind: the first tick inside the window, a close count', () => {
    const schedule = parseSchedule('0 9 * * 1-5', 'America/New_York');
    const scheduledTime = at('2029-01-01T14:00:00Z');
    const plan = planFire({ schedule, scheduledTime, now: at('2031-06-01T12:00:00Z'), catchUpWindowMs: 86_400_000 });
    const reference = walk(schedule, scheduledTime, at('2031-05-31T12:00:00Z').getTime());
    assert.deepEqual(plan.fireAt, reference.fireAt);
    assert.ok(Math.abs(plan.skipped - reference.skipped) / reference.skipped < 0.02, `${plan.skipped} vs ${reference.skipped}`);
  });

  it('property: the same tick as a tick-by-tick walk, the exact count up to EXACT_CRON_SKIPS, at least that beyond', () => {
    const patterns = ['* * * * * *', '*/7 * * * * *', '0 * * * * *', '*/5 * * * *', '0 0 * * * *', '15 2 * * *', '0 30 2 * * *', '0 9 * * 1-5', '0 0 1 * *'];
    const zones = ['UTC', 'Europe/Berlin', 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kolkata'];
    fc.assert(
      fc.property(
        fc.constantFrom(...patterns),
        fc.constantFrom(...zones),
        fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2035, 0, 1) }),
        fc.integer({ min: 0, max: 80 }),
        fc.integer({ min: 0, max: 3_600_000 }),
        (pattern, zone, startMs, ticksBehind, windowMs) => {
          const schedule = parseSchedule(pattern, zone);
          const scheduledTime = nextFireTime(schedule, new Date(startMs));
          let end = scheduledTime;
          for (let i = 0; i < ticksBehind; i++) end = nextFireTime(schedule, end);
          const now = new Date(end.getTime() + windowMs + 1);
          const expected = walk(schedule, scheduledTime, now.getTime() - windowMs);
          const plan = planFire({ schedule, scheduledTime, now, catchUpWindowMs: windowMs });
          assert.deepEqual(plan.fireAt, expected.fireAt);
          if (expected.skipped <= EXACT_CRON_SKIPS) assert.equal(plan.skipped, expected.skipped);
          else assert.ok(plan.skipped > EXACT_CRON_SKIPS);
        },
      ),
      fuzzParameters({ numRuns: 40 }, 'catch-up vs walk'),
    );
  });
});
