/**
 * Which tick a schedule sends next when it is behind (after downtime, a pause, or a tick that was retried for a
 * while), by its catch-up and overlap policies. Pure and bounded: a schedule a million ticks behind is skipped over
 * arithmetically (every), or by a short walk plus an estimate (cron, as catch-up.ts does), never tick by tick.
 */
import { EXACT_CRON_SKIPS } from './catch-up.js';
import { firstTick, nextTick, type Timeline } from './fire-times.js';
import type { CatchUpPolicy, OverlapPolicy } from './normalized-spec.js';

/**
 * With catch-up `skip`, a tick still counts as on time (not missed) this long after its scheduled time (plus the
 * spec's jitter): a timer that fires a little late under load must not drop the tick it fired for.
 */
const ON_TIME_MS = 5_000;

export interface Jump {
  /** The tick to go on with, or undefined when the schedule has no tick left there (it completes). */
  tick: number | undefined;
  /** Ticks passed over: exact for `every` and `at`, for cron exact up to EXACT_CRON_SKIPS and estimated beyond. */
  skipped: number;
}

/** From tick `from` on, the first tick at or after `cutoff`, and how many ticks lie before it. */
export function jumpTo(tl: Timeline, from: number, cutoff: number): Jump {
  if (from >= cutoff) return { tick: from, skipped: 0 };
  const trigger = tl.spec.trigger;
  if (trigger.kind === 'at') return { tick: undefined, skipped: 1 };
  const target = nextTick(tl, cutoff - 1);
  if (trigger.kind === 'every') {
    if (target !== undefined) return { tick: target, skipped: Math.round((target - from) / trigger.everyMs) };
    return { tick: undefined, skipped: everyTicksLeft(tl, from, cutoff) };
  }
  return cronJump(tl, from, cutoff, target);
}

/** The `every` ticks from `from` (a tick) up to `cutoff` (exclusive), within endAt and maxCount. */
function everyTicksLeft(tl: Timeline, from: number, cutoff: number): number {
  const trigger = tl.spec.trigger;
  if (trigger.kind !== 'every') return 0;
  const end = Math.min(cutoff, tl.spec.endAtMs ?? Infinity);
  let left = end > from ? Math.floor((end - 1 - from) / trigger.everyMs) + 1 : 0;
  const first = firstTick(tl);
  if (tl.spec.maxCount !== undefined && first !== undefined) {
    const index = Math.round((from - first) / trigger.everyMs);
    left = Math.min(left, Math.max(0, tl.spec.maxCount - index));
  }
  return left;
}

function cronJump(tl: Timeline, from: number, cutoff: number, target: number | undefined): Jump {
  let tick: number | undefined = from;
  let skipped = 0;
  while (skipped < EXACT_CRON_SKIPS) {
    if (tick === undefined || tick >= cutoff) return { tick, skipped };
    tick = nextTick(tl, tick);
    skipped += 1;
  }
  if (tick === undefined || tick >= cutoff) return { tick, skipped };
  // Still behind after the exact walk: estimate the rest from the mean spacing of the ticks walked.
  const spacing = (tick - from) / skipped;
  const end = target ?? Math.min(cutoff, tl.spec.endAtMs ?? cutoff);
  return { tick: target, skipped: skipped + Math.max(0, Math.round((end - tick) / spacing)) };
}

/** The last tick at or before `limit`, starting from tick `from` (<= limit), found in bounded steps. */
export function lastAtOrBefore(tl: Timeline, from: number, limit: number): number {
  const trigger = tl.spec.trigger;
  if (trigger.kind === 'every') {
    const candidate = from + Math.floor((limit - from) / trigger.everyMs) * trigger.everyMs;
    // Past endAt or maxCount the grid has no tick: step back to the last one the timeline has.
    if (candidate === from || nextTick(tl, candidate - 1) === candidate) return candidate;
    const jump = jumpTo(tl, from, limit + 1);
    return from + Math.max(0, jump.skipped - 1) * trigger.everyMs;
  }
  let last = from;
  for (let i = 0; i < 10_000; i++) {
    const next = nextTick(tl, last);
    if (next === undefined || next > limit) return last;
    last = next;
  }
  return last;
}

export interface Plan {
  /** The tick to send now; undefined: none is due (wait for `next`), or the schedule has none left. */
  send?: number;
  /** The schedule's next tick after the plan (the one to send, or the first one after those skipped). */
  next: number | undefined;
  skipped: number;
}

/**
 * The catch-up decision for tick `next` at time `now` (nothing behind: it is sent as it is). Ticks older than the
 * window are always skipped; within it `all` sends every one in order, `latest` only the newest, `skip` none but an
 * on-time one. Jitter widens what counts as on time: a jittered tick is meant to go out late.
 */
export function catchUp(tl: Timeline, next: number, now: number, policy: { windowMs: number; policy: CatchUpPolicy }, jitterMs: number): Plan {
  const tolerance = policy.policy === 'skip' ? Math.min(policy.windowMs, ON_TIME_MS) : policy.windowMs;
  const window = jumpTo(tl, next, now - tolerance - jitterMs);
  if (window.tick === undefined || window.tick > now) return { next: window.tick, skipped: window.skipped };
  if (policy.policy === 'all') return { send: window.tick, next: window.tick, skipped: window.skipped };
  const latest = lastAtOrBefore(tl, window.tick, now);
  const rest = jumpTo(tl, window.tick, latest);
  return { send: latest, next: latest, skipped: window.skipped + rest.skipped };
}

/**
 * The overlap decision for tick `next`, which fell due while an earlier tick was still being delivered (at or
 * before `until`, the end of that delivery): `bufferAll` sends it (and the others after it, in order), `bufferOne`
 * only the newest of them, `skip` none of them.
 */
export function overlap(tl: Timeline, next: number, until: number, policy: OverlapPolicy): Plan {
  if (policy === 'bufferAll') return { send: next, next, skipped: 0 };
  if (policy === 'bufferOne') {
    const latest = lastAtOrBefore(tl, next, until);
    const passed = jumpTo(tl, next, latest);
    return { send: latest, next: latest, skipped: passed.skipped };
  }
  const after = jumpTo(tl, next, until + 1);
  return { next: after.tick, skipped: after.skipped };
}
