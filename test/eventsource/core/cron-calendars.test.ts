/**
 * The relative calendars docs/schedules.md documents (croner's `L`, `#`, `nL`, `W`, `LW`), through the app's own
 * parser, in a time zone with daylight saving: every fire time over two years is the local day the expression names,
 * at the local time it names, one per month, with a few dates spelled out. What croner refuses is refused here too.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { firstFireTime, nextFireTime, parseSchedule } from '../../../src/eventsource/core/schedule.js';

const ZONE = 'Europe/Berlin';

interface LocalDay {
  year: number;
  month: number;
  day: number;
  /** 0 = Sunday … 6 = Saturday. */
  weekday: number;
  time: string;
}

function localDay(date: Date): LocalDay {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', { timeZone: ZONE, year: 'numeric', month: 'numeric', day: 'numeric', weekday: 'short', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' })
      .formatToParts(date)
      .map((p) => [p.type, p.value]),
  );
  const weekdays = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  return { year: Number(parts.year), month: Number(parts.month), day: Number(parts.day), weekday: weekdays.indexOf(String(parts.weekday)), time: `${parts.hour}:${parts.minute}:${parts.second}` };
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function weekdayOf(year: number, month: number, day: number): number {
  return new Date(Date.UTC(year, month - 1, day)).getUTCDay();
}

/** The fire times of an expression from 2026-01-01 to 2028-01-01 (Berlin), as local days. */
function fires(expression: string): LocalDay[] {
  const schedule = parseSchedule(expression, ZONE);
  const end = Date.parse('2028-01-01T00:00:00+01:00');
  const days: LocalDay[] = [];
  for (let t = firstFireTime(schedule, new Date('2025-12-31T23:00:00Z')); t.getTime() < end; t = nextFireTime(schedule, t)) days.push(localDay(t));
  return days;
}

/** Each month of 2026-2027 once, at 09:00 local, on the day `expected(year, month)` names. */
function assertMonthly(expression: string, expected: (year: number, month: number) => number): void {
  const days = fires(expression);
  assert.equal(days.length, 24, `${expression}: one a month`);
  for (const [index, d] of days.entries()) {
    const year = 2026 + Math.floor(index / 12);
    const month = (index % 12) + 1;
    assert.deepEqual([d.year, d.month, d.day, d.time], [year, month, expected(year, month), '09:00:00'], expression);
  }
}

/** The nearest weekday (Mon-Fri) to a day, within its month, as Quartz's `W` and croner define it. */
function nearestWeekday(year: number, month: number, day: number): number {
  const weekday = weekdayOf(year, month, day);
  if (weekday === 6) return day === 1 ? 3 : day - 1;
  if (weekday === 0) return day === daysIn(year, month) ? day - 2 : day + 1;
  return day;
}

describe('relative calendars of cron schedules', () => {
  it('L: the last day of the month', () => {
    assertMonthly('0 0 9 L * *', daysIn);
    assert.deepEqual(fires('0 0 9 L * *').slice(0, 3).map((d) => d.day), [31, 28, 31]);
  });

  it('MON#1: the first Monday of the month; FRI#3 the third Friday', () => {
    assertMonthly('0 0 9 * * MON#1', (y, m) => [1, 2, 3, 4, 5, 6, 7].find((d) => weekdayOf(y, m, d) === 1)!);
    assertMonthly('0 0 9 * * FRI#3', (y, m) => [15, 16, 17, 18, 19, 20, 21].find((d) => weekdayOf(y, m, d) === 5)!);
    assert.deepEqual(fires('0 0 9 * * MON#1').slice(0, 3).map((d) => d.day), [5, 2, 2]);
  });

  it('1L, FRIL, FRI#L, 5#L: the last Monday / Friday of the month', () => {
    const last = (weekday: number) => (y: number, m: number) => [0, 1, 2, 3, 4, 5, 6].map((k) => daysIn(y, m) - k).find((d) => weekdayOf(y, m, d) === weekday)!;
    assertMonthly('0 0 9 * * 1L', last(1));
    for (const friday of ['FRIL', 'FRI#L', '5#L']) assertMonthly(`0 0 9 * * ${friday}`, last(5));
    assert.deepEqual(fires('0 0 9 * * 1L').slice(0, 3).map((d) => d.day), [26, 23, 30]);
  });

  it('LW: the last weekday (Mon-Fri) of the month', () => {
    assertMonthly('0 0 9 LW * *', (y, m) => [0, 1, 2].map((k) => daysIn(y, m) - k).find((d) => ![0, 6].includes(weekdayOf(y, m, d)))!);
    // January 2026 ends on a Saturday, May 2026 on a Sunday.
    assert.deepEqual(fires('0 0 9 LW * *').slice(0, 5).map((d) => d.day), [30, 27, 31, 30, 29]);
  });

  it('15W, 1W: the weekday nearest that day, never in another month', () => {
    assertMonthly('0 0 9 15W * *', (y, m) => nearestWeekday(y, m, 15));
    assertMonthly('0 0 9 1W * *', (y, m) => nearestWeekday(y, m, 1));
    // 2026-08-01 is a Saturday: 1W is Monday the 3rd, not Friday 31 July.
    assert.equal(fires('0 0 9 1W * *')[7]?.day, 3);
    assert.equal(fires('0 0 9 15W * *')[1]?.day, 16, '2026-02-15 is a Sunday');
  });

  it('L with a weekday: OR by default (every Friday and the last day), AND with +', () => {
    assert.ok(fires('0 0 9 L * FRI').length > 24 * 4);
    const both = fires('0 0 9 L * +FRI');
    assert.ok(both.length > 0);
    for (const d of both) assert.deepEqual([d.weekday, d.day], [5, daysIn(d.year, d.month)]);
  });

  it('refuses what croner does not read, naming the expression', () => {
    for (const expression of ['0 0 9 L-2 * *', '0 0 9 * * MON#6', '0 0 9 32W * *', '0 0 9 LW-1 * *']) {
      assert.throws(() => parseSchedule(expression, ZONE), (error: Error) => error.message.startsWith(`"${expression}" is not an interval`) && error.message.includes('nor a cron expression'), expression);
    }
  });
});
