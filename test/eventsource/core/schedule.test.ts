import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventSourceError } from '../../../src/eventsource/core/errors.js';
import {
  describeSchedule,
  firstFireTime,
  nextFireTime,
  parseSchedule,
  type Schedule,
} from '../../../src/eventsource/core/schedule.js';

/** All fire times in [from, to), chained with nextFireTime from firstFireTime(from). */
function fireTimes(schedule: Schedule, from: string, to: string): Date[] {
  const end = Date.parse(to);
  const result: Date[] = [];
  for (let t = firstFireTime(schedule, new Date(from)); t.getTime() < end; t = nextFireTime(schedule, t)) {
    result.push(t);
  }
  return result;
}

/** Local wall-clock time "YYYY-MM-DD HH:MM:SS" of an instant in a time zone, via Intl. */
function local(date: Date, timeZone: string): string {
  return date.toLocaleString('sv-SE', { timeZone });
}

function assertStrictlyIncreasing(times: Date[]): void {
  for (let i = 1; i < times.length; i++) {
    assert.ok(times[i]!.getTime() > times[i - 1]!.getTime(), `tick ${i} (${times[i]!.toISOString()}) not after tick ${i - 1}`);
  }
}

describe('parseSchedule', () => {
  it('reads durations as intervals', () => {
    assert.deepEqual(parseSchedule('10s'), { kind: 'interval', everyMs: 10_000, text: '10s' });
    assert.deepEqual(parseSchedule('PT0.2S'), { kind: 'interval', everyMs: 200, text: 'PT0.2S' });
    assert.deepEqual(parseSchedule('500ms'), { kind: 'interval', everyMs: 500, text: '500ms' });
  });

  it('reads 5- and 6-field cron expressions and canonicalises the time zone', () => {
    assert.deepEqual(parseSchedule('*/5 * * * *'), { kind: 'cron', expression: '*/5 * * * *', timeZone: 'UTC', text: '*/5 * * * *' });
    assert.deepEqual(parseSchedule('0 30 2 * * *', 'Europe/Berlin'), {
      kind: 'cron', expression: '0 30 2 * * *', timeZone: 'Europe/Berlin', text: '0 30 2 * * *',
    });
    assert.equal((parseSchedule('@hourly', 'utc') as { timeZone: string }).timeZone, 'UTC');
  });

  const refused: Array<[string, string | undefined, RegExp]> = [
    ['10x', undefined, /^"10x" is not an interval \(e\.g\. 10s, 500ms, PT10S\) nor a cron expression: /],
    ['0 61 * * * *', undefined, /is not an interval .* nor a cron expression: .*minute/],
    ['* * *', undefined, /nor a cron expression/],
    ['0 0 0 1 1 * 2030', undefined, /nor a cron expression: .*7 parts/],
    ['0 0 30 2 *', undefined, /never fires/],
    ['0s', undefined, /zero/],
    ['-10s', undefined, /negative/],
    ['', undefined, /empty/],
    ['* * * * *', 'Mars/Olympus_Mons', /not a known IANA time zone/],
  ];
  for (const [text, zone, why] of refused) {
    it(`refuses ${JSON.stringify(text)}${zone ? ` in ${zone}` : ''} with SCHEDULE_INVALID`, () => {
      assert.throws(
        () => parseSchedule(text, zone),
        (error: unknown) =>
          error instanceof EventSourceError && error.code === 'SCHEDULE_INVALID' && why.test(error.message) && !error.message.includes('\n'),
      );
    });
  }

  it('describes schedules', () => {
    assert.equal(describeSchedule(parseSchedule('90s')), 'every 1m30s');
    assert.equal(describeSchedule(parseSchedule('0 30 2 * * *', 'Europe/Berlin')), 'cron 0 30 2 * * * (Europe/Berlin)');
  });
});

describe('interval fire times', () => {
  it('is fixed rate with no drift over 10,000 ticks (tick n is start + n * interval exactly)', () => {
    for (const text of ['10s', 'PT0.2S', '333ms', '1m30s']) {
      const schedule = parseSchedule(text);
      assert.equal(schedule.kind, 'interval');
      const everyMs = (schedule as { everyMs: number }).everyMs;
      const start = new Date(Date.UTC(2025, 0, 1, 0, 0, 0, 7));
      let t = firstFireTime(schedule, start);
      assert.equal(t.getTime(), start.getTime() + everyMs);
      for (let n = 2; n <= 10_000; n++) {
        t = nextFireTime(schedule, t);
        assert.equal(t.getTime(), start.getTime() + n * everyMs, `${text}: tick ${n}`);
      }
    }
  });

  it('computes from the previous scheduled time, not from when the tick ran', () => {
    const schedule = parseSchedule('10s');
    const scheduled = new Date('2025-01-01T00:00:10.000Z');
    assert.equal(nextFireTime(schedule, scheduled).toISOString(), '2025-01-01T00:00:20.000Z');
  });
});

describe('cron fire times', () => {
  it('supports seconds and is strictly after the start', () => {
    const schedule = parseSchedule('*/10 * * * * *');
    assert.equal(firstFireTime(schedule, new Date('2025-01-01T00:00:00.000Z')).toISOString(), '2025-01-01T00:00:10.000Z');
    assert.equal(firstFireTime(schedule, new Date('2025-01-01T00:00:09.999Z')).toISOString(), '2025-01-01T00:00:10.000Z');
    assert.equal(nextFireTime(schedule, new Date('2025-01-01T00:00:10.000Z')).toISOString(), '2025-01-01T00:00:20.000Z');
    assert.equal(nextFireTime(schedule, new Date('2025-01-01T00:00:10.001Z')).toISOString(), '2025-01-01T00:00:20.000Z');
  });

  it('reads 5-field expressions with minute resolution, like PingSource', () => {
    const schedule = parseSchedule('*/15 * * * *');
    const times = fireTimes(schedule, '2025-06-01T10:07:30Z', '2025-06-01T11:00:00Z');
    assert.deepEqual(times.map((t) => t.toISOString()), [
      '2025-06-01T10:15:00.000Z', '2025-06-01T10:30:00.000Z', '2025-06-01T10:45:00.000Z',
    ]);
  });

  it('is deterministic: the same input gives the same output', () => {
    const schedule = parseSchedule('0 30 2 * * *', 'America/New_York');
    const from = new Date('2025-03-01T00:00:00Z');
    assert.deepEqual(fireTimes(schedule, from.toISOString(), '2025-04-01T00:00:00Z'), fireTimes(schedule, from.toISOString(), '2025-04-01T00:00:00Z'));
  });

  it('honours the time zone', () => {
    const schedule = parseSchedule('0 0 9 * * *', 'Asia/Kolkata');
    assert.equal(firstFireTime(schedule, new Date('2025-01-01T00:00:00Z')).toISOString(), '2025-01-01T03:30:00.000Z');
  });
});

describe('cron across daylight saving changes', () => {
  // For each zone: the days it springs forward and falls back in 2025, and the local hour that happens twice.
  const zones = [
    { zone: 'Europe/Berlin', spring: '2025-03-30', fall: '2025-10-26', repeatedHour: '02' },
    { zone: 'America/New_York', spring: '2025-03-09', fall: '2025-11-02', repeatedHour: '01' },
  ];

  for (const { zone, spring, fall, repeatedHour } of zones) {
    it(`daily 02:30 in ${zone}: once every local day of the year; on the spring-forward day at 03:00`, () => {
      const schedule = parseSchedule('0 30 2 * * *', zone);
      const times = fireTimes(schedule, '2025-01-01T00:00:00Z', '2026-01-01T00:00:00Z');
      assertStrictlyIncreasing(times);
      const days = times.map((t) => local(t, zone).slice(0, 10));
      assert.equal(new Set(days).size, days.length, 'a local day fired twice');
      assert.equal(days.length, 365, 'one tick per local day of 2025');
      for (const t of times) {
        const wall = local(t, zone);
        if (wall.startsWith(spring)) {
          assert.equal(wall, `${spring} 03:00:00`, 'the non-existent 02:30 fires once, at the end of the gap');
        } else {
          assert.equal(wall.slice(11), '02:30:00', `unexpected wall time ${wall}`);
        }
      }
    });

    it(`daily ${repeatedHour}:30 in ${zone}: the repeated time on the fall-back day fires once, at its first occurrence`, () => {
      const schedule = parseSchedule(`0 30 ${Number(repeatedHour)} * * *`, zone);
      const times = fireTimes(schedule, '2025-01-01T00:00:00Z', '2026-01-01T00:00:00Z');
      assertStrictlyIncreasing(times);
      assert.equal(times.length, 365);
      // (In Berlin 02:30 is also the time skipped in spring, covered by the test above.)
      assert.ok(times.every((t) => local(t, zone).startsWith(spring) || local(t, zone).slice(11) === `${repeatedHour}:30:00`));
      const fallTicks = times.filter((t) => local(t, zone).startsWith(fall));
      assert.equal(fallTicks.length, 1, 'the repeated wall time fired twice');
      const secondOccurrence = new Date(fallTicks[0]!.getTime() + 3_600_000);
      assert.equal(local(secondOccurrence, zone), `${fall} ${repeatedHour}:30:00`, 'the tick is the first of two occurrences');
    });

    it(`hourly in ${zone}: every real hour across both changes, none twice, none invented`, () => {
      const schedule = parseSchedule('0 0 * * * *', zone);
      const times = fireTimes(schedule, '2025-01-01T00:00:00Z', '2026-01-01T00:00:00Z');
      assertStrictlyIncreasing(times);
      // An hourly job fires on every whole real hour: 2025 has 8760, minus the start instant itself (strictly after).
      assert.equal(times.length, 8_759);
      for (let i = 1; i < times.length; i++) {
        assert.equal(times[i]!.getTime() - times[i - 1]!.getTime(), 3_600_000, `gap before ${times[i]!.toISOString()}`);
      }
      // Spring forward: the local day has 23 ticks, 02:00 never appears (it does not exist).
      const springTicks = times.filter((t) => local(t, zone).startsWith(spring)).map((t) => local(t, zone).slice(11, 13));
      assert.equal(springTicks.length, 23);
      assert.ok(!springTicks.includes('02'));
      // Fall back: the local day has 25 ticks, the repeated hour fires on both of its real occurrences.
      const fallTicks = times.filter((t) => local(t, zone).startsWith(fall)).map((t) => local(t, zone).slice(11, 13));
      assert.equal(fallTicks.length, 25);
      assert.equal(fallTicks.filter((h) => h === repeatedHour).length, 2);
    });

    it(`every 30 minutes (5 fields) in ${zone}: nothing in the spring gap, both halves of the repeated hour`, () => {
      const schedule = parseSchedule('*/30 * * * *', zone);
      const times = fireTimes(schedule, `${spring}T00:00:00Z`, `${fall}T23:59:59Z`);
      assertStrictlyIncreasing(times);
      const iso = new Set(times.map((t) => t.getTime()));
      assert.equal(iso.size, times.length);
      for (let i = 1; i < times.length; i++) {
        assert.equal(times[i]!.getTime() - times[i - 1]!.getTime(), 1_800_000);
      }
    });
  }

  it('chaining from the first fall-back occurrence never returns the second one', () => {
    const schedule = parseSchedule('0 30 1 * * *', 'America/New_York');
    const first = new Date('2025-11-02T05:30:00Z'); // 01:30 EDT
    assert.equal(local(first, 'America/New_York'), '2025-11-02 01:30:00');
    const next = nextFireTime(schedule, first);
    assert.equal(next.toISOString(), '2025-11-03T06:30:00.000Z'); // 01:30 EST the next day, not 06:30Z the same night
  });
});
