/**
 * When a schedule fires, from its normalised spec. Pure and deterministic (no clock, no randomness, no I/O): an
 * orchestrator calls it during replay. Times are epoch milliseconds.
 *
 * The ticks of a schedule are the instants of its trigger inside [startAt, endAt), at most maxCount of them:
 * - `every` with `offset`: every instant t with t ≡ offset (mod every), counted from the Unix epoch
 *   (1970-01-01T00:00:00Z). The phase is a property of the spec, not of when the schedule started: `every: 1h`
 *   fires on the whole UTC hour, `every: 1h, offset: 15m` at a quarter past, on every host, after every restart and
 *   in every generation, so a backfill finds exactly the instants the schedule fired at.
 * - `cron` in `timezone`: the matches of the expression (croner, through schedule.ts, whose daylight-saving rule
 *   applies unchanged: a fixed-time job fires once on both change days, others skip the spring gap and fire on both
 *   real occurrences of the repeated hour).
 * - `at`: the one instant; the schedule completes after it. maxCount does not apply.
 * - maxCount counts the ticks from the schedule's origin: `startAt`, or, without one, the instant its generation
 *   began (the orchestration's creation). Ticks skipped by a catch-up or overlap policy use up their place too: the
 *   limit is on the timeline, so it is the same however the ticks went. Ticks before the origin (only possible
 *   without startAt, i.e. before the schedule existed) are not counted; they can only be backfilled.
 */
import { EventSourceError } from './errors.js';
import type { NormalizedSpec, SpecTrigger } from './normalized-spec.js';
import { nextFireTime as nextCronMatch, parseCron } from './schedule.js';

/** The fields of a spec that decide its fire times. */
export type TimingSpec = Pick<NormalizedSpec, 'trigger' | 'startAtMs' | 'endAtMs' | 'maxCount'>;

export interface Timeline {
  spec: TimingSpec;
  /** Where maxCount starts counting: startAt, else the instant the schedule's generation began. */
  originMs: number;
}

/** The timeline of a spec whose generation began at `createdAtMs` (the generation's ISO time, as ms). */
export function timeline(spec: TimingSpec, createdAtMs: number): Timeline {
  return { spec, originMs: spec.startAtMs ?? createdAtMs };
}

/**
 * Most ticks a backfill (ticksBetween) returns at once, and most a schedule has queued for backfill: the highest
 * MAX_BACKFILL_TICKS may be. A longer range is refused, to be split by the caller.
 */
export const BACKFILL_TICKS_CEILING = 10_000;

/**
 * The schedule's first tick: `at` itself (even when it is already past: the catch-up policy decides), else the
 * first tick at or after the origin. Undefined when the schedule never fires.
 */
export function firstTick(tl: Timeline): number | undefined {
  const t = tl.spec.trigger;
  return tickAtOrAfter(tl, t.kind === 'at' ? t.atMs : tl.originMs);
}

/** The first tick strictly after `afterMs`, or undefined when the schedule has no more (then it completes). */
export function nextTick(tl: Timeline, afterMs: number): number | undefined {
  return tickAtOrAfter(tl, Math.floor(afterMs) + 1);
}

/** The next `n` ticks after `afterMs` (fewer when the schedule ends): the describe view's `upcoming`. */
export function upcoming(tl: Timeline, afterMs: number, n: number): number[] {
  const result: number[] = [];
  for (let t = nextTick(tl, afterMs); t !== undefined && result.length < n; t = nextTick(tl, t)) result.push(t);
  return result;
}

/**
 * The ticks in [fromMs, toMs), in order: what a backfill delivers. Throws EventSourceError `BACKFILL_INVALID` when
 * `toMs` is before `fromMs` and `BACKFILL_TOO_LARGE` when the range holds more than `limit` ticks.
 */
export function ticksBetween(tl: Timeline, fromMs: number, toMs: number, limit: number = BACKFILL_TICKS_CEILING): number[] {
  if (!Number.isFinite(fromMs) || !Number.isFinite(toMs) || toMs < fromMs) {
    throw new EventSourceError('BACKFILL_INVALID', 'to: is before from; a backfill covers [from, to)');
  }
  const result: number[] = [];
  for (let t = tickAtOrAfter(tl, Math.ceil(fromMs)); t !== undefined && t < toMs; t = nextTick(tl, t)) {
    if (result.length === limit) {
      throw new EventSourceError(
        'BACKFILL_TOO_LARGE',
        `[${new Date(fromMs).toISOString()}, ${new Date(toMs).toISOString()}) holds more than ${limit} ticks; backfill at most ${limit} at a time (split the range)`,
      );
    }
    result.push(t);
  }
  return result;
}

/** The first tick at or after `t`, inside [startAt, endAt) and not past the maxCount-th. */
function tickAtOrAfter(tl: Timeline, t: number): number | undefined {
  const { spec } = tl;
  const tick = patternAtOrAfter(spec.trigger, Math.max(t, spec.startAtMs ?? -Infinity));
  if (tick === undefined) return undefined;
  if (spec.endAtMs !== undefined && tick >= spec.endAtMs) return undefined;
  const last = lastCountedTick(tl);
  return last !== undefined && tick > last ? undefined : tick;
}

/** The first instant of the trigger at or after `t`, ignoring the window and the count. */
function patternAtOrAfter(trigger: SpecTrigger, t: number): number | undefined {
  switch (trigger.kind) {
    case 'at':
      return trigger.atMs >= t ? trigger.atMs : undefined;
    case 'every': {
      const { everyMs, offsetMs } = trigger;
      if (t === -Infinity) return undefined; // (no lower bound is never asked for; keeps the arithmetic finite)
      const tick = Math.ceil((t - offsetMs) / everyMs) * everyMs + offsetMs;
      return Number.isSafeInteger(tick) ? tick : undefined;
    }
    case 'cron':
      return cronAtOrAfter(trigger, t);
  }
}

function cronAtOrAfter(trigger: Extract<SpecTrigger, { kind: 'cron' }>, t: number): number | undefined {
  try {
    // croner's matches are strictly after the given instant, in whole seconds: from t - 1 ms, t itself can match.
    return nextCronMatch(parseCron(trigger.expression, trigger.timeZone), new Date(t - 1)).getTime();
  } catch (error) {
    if (error instanceof EventSourceError && error.code === 'SCHEDULE_EXHAUSTED') return undefined;
    throw error;
  }
}

// The maxCount-th tick of a cron timeline, found once by walking its matches (at most DEFINITION_LIMITS.cronMaxCount,
// about 50 µs each) and kept, so a replay costs nothing. Keyed by everything it depends on.
const lastTickCache = new Map<string, number | undefined>();

/** The last tick maxCount allows (counted from the origin), or undefined when the count sets no limit. */
function lastCountedTick(tl: Timeline): number | undefined {
  const { trigger, maxCount, startAtMs, endAtMs } = tl.spec;
  if (maxCount === undefined || trigger.kind === 'at') return undefined;
  const from = Math.max(tl.originMs, startAtMs ?? -Infinity);
  if (trigger.kind === 'every') {
    const first = patternAtOrAfter(trigger, from);
    return first === undefined ? undefined : first + (maxCount - 1) * trigger.everyMs;
  }
  const key = JSON.stringify([trigger.expression, trigger.timeZone, from, maxCount, endAtMs ?? null]);
  if (lastTickCache.has(key)) return lastTickCache.get(key);
  let tick = cronAtOrAfter(trigger, from);
  for (let count = 1; tick !== undefined && count < maxCount; count++) {
    const next = cronAtOrAfter(trigger, tick + 1);
    if (next === undefined || (endAtMs !== undefined && next >= endAtMs)) break;
    tick = next;
  }
  if (lastTickCache.size >= 2_048) lastTickCache.clear();
  lastTickCache.set(key, tick);
  return tick;
}
