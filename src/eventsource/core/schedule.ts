import { Cron, CronPattern } from 'croner';
import { EventSourceError, oneLine } from './errors.js';
import { formatDuration, parseDuration } from './duration.js';

/**
 * Schedules and their fire times. Everything here is pure and deterministic (no clock, no randomness, no I/O),
 * so a Durable orchestrator may call it during replay.
 *
 * Fixed rate: the next fire time is computed from the previous *scheduled* time, never from when a tick actually
 * ran, so slow deliveries do not make the schedule drift. Intervals use integer milliseconds: tick n of an interval
 * schedule started at S is exactly S + n * everyMs.
 *
 * Cron in a time zone across daylight saving changes (croner 11, the Vixie-cron rules, verified by tests):
 * - A "fixed-time" expression (one value each in seconds, minutes and hours, e.g. `0 30 2 * * *`):
 *   - spring forward (02:30 does not exist that night): fires once at the first valid time after the gap
 *     (03:00 local), so a daily job still runs once that day;
 *   - fall back (02:30 happens twice): fires once, at the first occurrence.
 * - Any other expression (wildcards, steps, lists, ranges in the time fields, e.g. `0 0 * * * *`, `*\/15 * * * *`):
 *   - spring forward: local times in the gap are skipped; nothing is invented for them;
 *   - fall back: fires on both occurrences of the repeated hour, because they are distinct real instants
 *     (an hourly job keeps firing every real hour).
 * In both cases fire times strictly increase in real time, so no instant is ever fired twice.
 */
export type Schedule =
  | { kind: 'interval'; everyMs: number; text: string }
  | { kind: 'cron'; expression: string; timeZone: string; text: string };

type CronSchedule = Extract<Schedule, { kind: 'cron' }>;

// Successful parses, by time zone and text: an orchestrator parses its schedule several times per episode (and the
// schema check once more), and a cron parse costs about half a millisecond. Results are immutable plain data.
const parsedCache = new Map<string, Schedule>();

/** Entries per cache (cleared when full): enough for one host's schedules (issue #9: 1,000 from one file). */
const CACHE_ENTRIES = 2_048;

/** Parses `text` as an interval (`10s`, `PT10S`, ...) or else a 5- or 6-field cron expression. */
export function parseSchedule(text: string, timeZone = 'UTC'): Schedule {
  const key = `${timeZone}\u0000${text}`;
  const cached = parsedCache.get(key);
  if (cached !== undefined) return cached;
  const schedule = Object.freeze(parseScheduleUncached(text, timeZone));
  if (parsedCache.size >= CACHE_ENTRIES) parsedCache.clear();
  parsedCache.set(key, schedule);
  return schedule;
}

function parseScheduleUncached(text: string, timeZone: string): Schedule {
  const input = text.trim();
  const quoted = JSON.stringify(text);
  if (input === '') throw invalid(`${quoted} is empty; give an interval (e.g. 10s, PT10S) or a cron expression`);
  let durationWhy: string;
  try {
    return { kind: 'interval', everyMs: parseDuration(input), text: input };
  } catch (error) {
    durationWhy = error instanceof Error ? error.message : String(error);
  }
  // Duration syntax with a bad value ("0s", "-5s", "0.1ms", "P1M", "10") gets the duration's own reason.
  if (DURATION_SHAPE.test(input)) throw invalid(durationWhy);
  if (!/\s/.test(input) && !input.startsWith('@')) {
    throw invalid(
      `${quoted} is not an interval (e.g. 10s, 500ms, PT10S) nor a cron expression: ` +
        'not a duration, and a cron expression has 5 or 6 space-separated fields',
    );
  }
  return cronSchedule(input, canonicalTimeZone(timeZone), (why) =>
    `${quoted} is not an interval (e.g. 10s, 500ms, PT10S) nor a cron expression: ${why}`);
}

/**
 * Parses `expression` as a cron expression only (5 or 6 fields, or a macro such as `@hourly`): a schedule
 * definition's `cron` field, where `10s` is a mistake rather than an interval. Same rules and DST behaviour as
 * parseSchedule. Throws EventSourceError `SCHEDULE_INVALID` with a one-line reason.
 */
export function parseCron(expression: string, timeZone = 'UTC'): CronSchedule {
  const key = `cron\u0000${timeZone}\u0000${expression}`;
  const cached = parsedCache.get(key);
  if (cached?.kind === 'cron') return cached;
  const input = expression.trim();
  const quoted = JSON.stringify(expression);
  if (input === '') throw invalid(`${quoted} is empty; give a cron expression (e.g. "0 30 2 * * *" or @hourly)`);
  const schedule = Object.freeze(cronSchedule(input, canonicalTimeZone(timeZone), (why) => `${quoted} is not a cron expression: ${why}`));
  if (parsedCache.size >= CACHE_ENTRIES) parsedCache.clear();
  parsedCache.set(key, schedule);
  return schedule;
}

function cronSchedule(input: string, zone: string, notCron: (why: string) => string): CronSchedule {
  const quoted = JSON.stringify(input);
  let cron: Cron;
  try {
    cron = createCron(input, zone);
  } catch (error) {
    const why = error instanceof Error ? error.message.replace(/^CronPattern:\s*/, '') : String(error);
    throw invalid(notCron(oneLine(why)));
  }
  // A pattern like "0 0 30 2 *" (30 February) parses but never fires. Without a year field, anything that fires at
  // all fires within 8 years of any date (leap days), so probing from a fixed reference date is enough.
  if (cron.nextRun(new Date(Date.UTC(2000, 0, 1))) === null) {
    throw invalid(`${quoted} never fires (no date matches it)`);
  }
  return { kind: 'cron', expression: input, timeZone: zone, text: input };
}

/** The first fire time of a schedule started at `start`: interval: start + everyMs; cron: first match after start. */
export function firstFireTime(schedule: Schedule, start: Date): Date {
  return nextFireTime(schedule, start);
}

/**
 * The fire time after `previousScheduled` (fixed rate): interval: previous + everyMs; cron: the first match strictly
 * after previous. Throws EventSourceError `SCHEDULE_EXHAUSTED` if a cron expression has no later match.
 */
export function nextFireTime(schedule: Schedule, previousScheduled: Date): Date {
  const previousMs = previousScheduled.getTime();
  if (!Number.isFinite(previousMs)) {
    throw new EventSourceError('SCHEDULE_INVALID', 'the previous fire time is not a valid date');
  }
  if (schedule.kind === 'interval') return new Date(previousMs + schedule.everyMs);
  const next = cronFor(schedule).nextRun(previousScheduled);
  if (next === null) {
    throw new EventSourceError('SCHEDULE_EXHAUSTED', `cron ${JSON.stringify(schedule.expression)} has no fire time after ${previousScheduled.toISOString()}`);
  }
  // croner returns matches strictly after its start (whole seconds); keep the contract explicit anyway.
  if (next.getTime() <= previousMs) {
    throw new EventSourceError('SCHEDULE_INVALID', `cron returned ${next.toISOString()}, not after ${previousScheduled.toISOString()}`);
  }
  return next;
}

const HOUR_MS = 3_600_000;
/** The largest daylight-saving change of any zone (Antarctica/Troll's 2 h). */
const LARGEST_CLOCK_CHANGE_MS = 2 * HOUR_MS;

/**
 * A lower bound of the time between two fire times of a cron expression, in any zone, from its time fields alone
 * (pure, no walk): the shortest step of its seconds when it has several, else of its minutes (a minute apart at
 * least, as zone offsets are whole minutes), else of its hours less a clock change, at least an hour, else a day
 * less a clock change. What the minimum interval and the jitter bound compare with.
 */
export function cronMinGapMs(schedule: CronSchedule): number {
  const pattern = new CronPattern(schedule.expression, schedule.timeZone, { mode: '5-or-6-parts' });
  const seconds = shortestStep(pattern.second, 60);
  if (seconds !== undefined) return seconds * 1_000;
  const minutes = shortestStep(pattern.minute, 60);
  if (minutes !== undefined) return minutes * 60_000;
  const hours = shortestStep(pattern.hour, 24);
  if (hours !== undefined) return Math.max(HOUR_MS, hours * HOUR_MS - LARGEST_CLOCK_CHANGE_MS);
  return 24 * HOUR_MS - LARGEST_CLOCK_CHANGE_MS;
}

/** The shortest cyclic distance between two set positions of a field (0/1 per value), undefined with fewer than two. */
function shortestStep(field: readonly number[], size: number): number | undefined {
  const set = field.flatMap((on, value) => (on ? [value] : []));
  if (set.length < 2) return undefined;
  let shortest = size - (set[set.length - 1] as number) + (set[0] as number);
  for (let i = 1; i < set.length; i++) shortest = Math.min(shortest, (set[i] as number) - (set[i - 1] as number));
  return shortest;
}

/** Human-readable description for logs and status responses, e.g. "every 10s" or "cron 0 30 2 * * * (Europe/Berlin)". */
export function describeSchedule(s: Schedule): string {
  return s.kind === 'interval'
    ? `every ${formatDuration(s.everyMs)}`
    : `cron ${s.expression} (${s.timeZone})`;
}

/** Validates an IANA time zone name with Intl and returns its canonical spelling (e.g. "utc" → "UTC"). */
export function canonicalTimeZone(timeZone: string): string {
  const zone = timeZone.trim();
  try {
    if (zone === '') throw new RangeError('empty');
    return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone;
  } catch {
    throw new EventSourceError(
      'SCHEDULE_INVALID',
      `${JSON.stringify(timeZone)} is not a known IANA time zone (e.g. UTC, Europe/Berlin, America/New_York)`,
    );
  }
}

const DURATION_SHAPE = /^[-+]?(?:(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+|\d+(?:\.\d+)?|P[\d.,YMWDTHS]*)$/i;

function invalid(message: string): EventSourceError {
  return new EventSourceError('SCHEDULE_INVALID', message);
}

function createCron(expression: string, timeZone: string): Cron {
  // No callback, so croner starts no timer; the instance is only used to compute matches from a given date.
  return new Cron(expression, { timezone: timeZone, mode: '5-or-6-parts' });
}

// Parsed patterns are cached: a Cron without a callback holds no timer and nextRun(date) depends only on its input.
const cronCache = new Map<string, Cron>();

function cronFor(schedule: CronSchedule): Cron {
  const key = `${schedule.timeZone}\u0000${schedule.expression}`;
  let cron = cronCache.get(key);
  if (cron === undefined) {
    cron = createCron(schedule.expression, schedule.timeZone);
    if (cronCache.size >= CACHE_ENTRIES) cronCache.clear();
    cronCache.set(key, cron);
  }
  return cron;
}
