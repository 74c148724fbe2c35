/**
 * The life of one schedule as a pure state machine. The orchestrator (src/functions) only interprets it, so the
 * whole decision logic stays deterministic and testable without Durable Functions: no clock (the caller passes the
 * orchestration's own time), no random, no I/O.
 *
 * One orchestration execution handles one tick (or one event), then continues-as-new with the next state, so
 * history stays bounded. The policies (catch-up, overlap) are in schedule-policies.ts, the external events in
 * schedule-events.ts, the status (describe) in schedule-status.ts.
 */
import { eventId, manualEventId } from './event.js';
import { firstTick, nextTick, timeline, type Timeline } from './fire-times.js';
import { jitterDelay } from './jitter.js';
import type { NormalizedSpec } from './normalized-spec.js';
import { retryDelay } from './delivery-policy.js';
import { catchUp, jumpTo, overlap, type Plan } from './schedule-policies.js';

/** What the operator configured: the normalised spec, carried in the state so that replays never read the environment. */
export type ScheduleSpec = NormalizedSpec;

export type DeliveryResult =
  | { ok: true; status: number }
  | {
      ok: false;
      status?: number;
      reason: string;
      retryable: boolean;
      retryAfterMs?: number;
      deadLettered?: boolean;
      /**
       * Not sent: the worker knows the sink's origin is down (delivery/sink-breaker.ts). Not an attempt: it spends
       * none of the tick's attempts, and the tick comes back after `sinkDownRetryMs`.
       */
      sinkDown?: boolean;
      /**
       * The sink's origin is down after this result (not sent, or a failed probe): the tick comes back after this long
       * (the breaker's probe interval) rather than after the long back-off or park, so it goes out soon after the
       * sink's recovery.
       */
      sinkDownRetryMs?: number;
    };

export type Outcome = 'delivered' | 'rejected' | 'failed' | 'deadLettered';

export interface LastDelivery {
  sequence: number;
  id: string;
  scheduledTime: string;
  outcome: Outcome;
  status?: number;
  attempts: number;
  reason?: string;
}

/** One delivery in the describe view's `recent` (newest first). Manual and backfilled events have sequence 0. */
export interface RecentDelivery {
  sequence: number;
  id: string;
  scheduledTime: string;
  sentTime: string;
  attempts: number;
  status?: number;
  outcome: Outcome;
  trigger?: 'manual' | 'backfill';
}

export interface Counters {
  delivered: number;
  rejected: number;
  failed: number;
  deadLettered: number;
  skipped: number;
  triggered: number;
  backfilled: number;
}

/** A tick waiting to be sent apart from the schedule's own: a manual trigger, or what is left of a backfill range. */
export type QueuedTick =
  | { kind: 'manual'; requestId: string; time: string }
  | { kind: 'backfill'; from: string; to: string };

/** Most entries the queue holds (a backfill range is one entry); a trigger beyond it is dropped and counted as skipped. */
export const MAX_QUEUE = 100;
export const RECENT_SIZE = 10;

export interface ScheduleState {
  name: string;
  spec: ScheduleSpec;
  /** ISO time at which the schedule was first created (by the starter): part of every event id, survives continue-as-new and restarts. */
  generation: string;
  /** The sequence number the next in-order tick carries (starts at 1). */
  sequence: number;
  /** ISO scheduled time of the next in-order tick; absent until the first execution anchors the schedule. */
  nextFireTime?: string;
  /** The schedule has no tick left (at, endAt, maxCount): the orchestration completes once its queue is empty. */
  completed?: boolean;
  /** After a tick exhausted its retries: no new attempt before this ISO time (avoids a hot loop on a dead sink). */
  retryNotBefore?: string;
  /** When the first attempt of the kept tick (the one retried after retryNotBefore) was made. */
  pendingSince?: string;
  /** Ticks in (from, until] fell due while an earlier tick was being delivered: the overlap policy decides them. */
  overlapWindow?: { from: string; until: string };
  counters: Counters;
  recent: RecentDelivery[];
  paused?: { note: string; since: string };
  /** Ticks in a row that failed, were refused or dead-lettered (pauseOnFailure). */
  consecutiveFailures: number;
  queue: QueuedTick[];
  lastDelivery?: LastDelivery;
  /** The starter's origin marker (schedule-origin.ts), carried unchanged; absent in a state the starter did not create. */
  origin?: string;
  /**
   * How many of `counters.skipped` the metrics have counted (absent: none). Skips are decided here, in replayed
   * code, so the delivery activity (run once per attempt) counts the difference, carried in its request.
   */
  skippedReported?: number;
  /**
   * Ticks scheduled before this ISO time were held back on purpose (a resume after a pause, a restart from the
   * status): their lateness and the skips among them are no sign of overload (overload.ts is not told of them).
   */
  excusedUntil?: string;
  /** How many of the skips not reported yet were such ticks (absent: none). */
  excusedSkips?: number;
}

export interface TickInput {
  scheduleName: string;
  generation: string;
  /** The in-order sequence; 0 for a manual or backfilled event (they do not take a place in the sequence). */
  sequence: number;
  scheduledTime: string;
  /** A manual or backfilled event (the CloudEvents extension `trigger`). */
  trigger?: 'manual' | 'backfill';
  /** A manual trigger's request id: its event id is manualEventId of it. */
  requestId?: string;
}

type NextStep =
  | { kind: 'complete'; state: ScheduleState }
  /** Nothing to send before `until` (undefined: only an event can change that, e.g. while paused). */
  | { kind: 'wait'; until: Date | undefined; state: ScheduleState }
  | { kind: 'deliver'; tick: TickInput; state: ScheduleState };

export const ZERO_COUNTERS: Counters = { delivered: 0, rejected: 0, failed: 0, deadLettered: 0, skipped: 0, triggered: 0, backfilled: 0 };

/** A new generation of a schedule; the starter passes its origin marker for it (see schedule-origin.ts). */
export function newScheduleState(
  name: string,
  spec: ScheduleSpec,
  startedAt: Date,
  marker?: (name: string, generation: string) => string,
): ScheduleState {
  const generation = startedAt.toISOString();
  const state: ScheduleState = {
    name, spec, generation, sequence: 1, counters: { ...ZERO_COUNTERS }, recent: [], consecutiveFailures: 0, queue: [],
    ...(spec.paused ? { paused: { note: spec.note ?? 'paused in the spec', since: generation } } : {}),
  };
  return marker ? { ...state, origin: marker(name, generation) } : state;
}

export function timelineOf(state: Pick<ScheduleState, 'spec' | 'generation'>): Timeline {
  return timeline(state.spec, Date.parse(state.generation));
}

/** The instant the timer for tick `scheduledMs` waits for: the scheduled time plus the tick's own jitter. */
export function fireAt(state: ScheduleState, scheduledMs: number): number {
  return scheduledMs + jitterDelay(state.spec.jitterMs, state.name, state.generation, scheduledMs);
}

/**
 * Anchors a fresh schedule at its first tick: from startAt (else the generation's start), but after the instant its
 * first execution runs: a new schedule does not catch up ticks from before it ran (an `at` already past does; the
 * catch-up policy decides about it).
 */
function anchored(state: ScheduleState, now: Date): ScheduleState {
  if (state.nextFireTime !== undefined || state.completed === true) return state;
  const tl = timelineOf(state);
  const first = tl.spec.trigger.kind === 'at' ? firstTick(tl) : nextTick(tl, Math.max(tl.originMs - 1, now.getTime()));
  return first === undefined ? { ...state, completed: true } : { ...state, nextFireTime: iso(first) };
}

/** The tick whose attempts ran out earlier is kept: it was sent, maybe received, and keeps its place. */
export function hasPendingTick(state: ScheduleState): boolean {
  return state.pendingSince !== undefined && state.nextFireTime !== undefined;
}

/** Decides what this execution does at orchestration time `now`. */
export function nextStep(input: ScheduleState, now: Date): NextStep {
  const state = anchored(input, now);
  // Paused: the schedule's own ticks wait; a trigger or backfill the operator asks for still goes out.
  if (state.paused) return queuedTick(state) ?? { kind: 'wait', until: undefined, state };
  const due = dueScheduled(state, now.getTime());
  if (due.kind === 'deliver') return due;
  const queued = queuedTick(due.state);
  if (queued) return queued;
  if (due.state.completed === true) return { kind: 'complete', state: due.state };
  return due;
}

/** The schedule's own next tick: due now (after the policies), or the time to wait for. */
function dueScheduled(input: ScheduleState, now: number): NextStep {
  let state = input;
  for (;;) {
    if (state.completed === true || state.nextFireTime === undefined) return { kind: 'wait', until: undefined, state };
    const scheduled = Date.parse(state.nextFireTime);
    const notBefore = state.retryNotBefore === undefined ? -Infinity : Date.parse(state.retryNotBefore);
    const dueAt = Math.max(fireAt(state, scheduled), notBefore);
    if (dueAt > now) return { kind: 'wait', until: new Date(dueAt), state };
    // A tick already sent at least once is never skipped: the sink may have kept it, and its id must not be lost.
    if (hasPendingTick(state)) return { kind: 'deliver', state, tick: scheduledTick(state, scheduled) };
    const plan = planFor(state, scheduled, now);
    state = withExcusedSkips(advanced(state, plan), scheduled, plan.skipped);
    if (plan.send !== undefined) return { kind: 'deliver', state, tick: scheduledTick(state, plan.send) };
  }
}

function planFor(state: ScheduleState, scheduled: number, now: number): Plan {
  const tl = timelineOf(state);
  const window = state.overlapWindow;
  if (window !== undefined && scheduled > Date.parse(window.from) && scheduled <= Date.parse(window.until)) {
    return overlap(tl, scheduled, Date.parse(window.until), state.spec.overlap);
  }
  if (window !== undefined && scheduled <= Date.parse(window.from)) return caughtUpBefore(state, tl, scheduled, Date.parse(window.from), now);
  return catchUp(tl, scheduled, now, state.spec.catchUp, state.spec.jitterMs);
}

/**
 * Ticks due before an overlap window (those of a pause that ended while the kept tick was still undelivered) are
 * decided by the catch-up policy as of the window's start, so that the window's own ticks are the overlap policy's;
 * none older than the catch-up window is sent now.
 */
function caughtUpBefore(state: ScheduleState, tl: Timeline, scheduled: number, from: number, now: number): Plan {
  const { catchUp: policy, jitterMs } = state.spec;
  const old = jumpTo(tl, scheduled, now - policy.windowMs - jitterMs);
  if (old.tick === undefined || old.tick > from) return { next: old.tick, skipped: old.skipped };
  const plan = catchUp(tl, old.tick, from, policy, jitterMs);
  return { ...plan, skipped: plan.skipped + old.skipped };
}

function advanced(state: ScheduleState, plan: Plan): ScheduleState {
  const { overlapWindow, nextFireTime: _next, ...rest } = state;
  const next: ScheduleState = {
    ...rest,
    ...(plan.next === undefined ? { completed: true } : { nextFireTime: iso(plan.next) }),
    counters: { ...state.counters, skipped: state.counters.skipped + plan.skipped },
  };
  // The overlap window is used up once the schedule is past it.
  const keep = overlapWindow !== undefined && plan.next !== undefined && plan.next <= Date.parse(overlapWindow.until);
  return keep ? { ...next, overlapWindow } : next;
}

/** Whether the tick scheduled at `scheduledMs` was held back on purpose (see `excusedUntil`). */
export function isExcused(state: Pick<ScheduleState, 'excusedUntil'>, scheduledMs: number): boolean {
  return state.excusedUntil !== undefined && scheduledMs < Date.parse(state.excusedUntil);
}

/** Skips of ticks from `scheduled` on, decided now: excused when those ticks were held back on purpose. */
function withExcusedSkips(state: ScheduleState, scheduled: number, skipped: number): ScheduleState {
  if (skipped === 0 || !isExcused(state, scheduled)) return state;
  return { ...state, excusedSkips: (state.excusedSkips ?? 0) + skipped };
}

function scheduledTick(state: ScheduleState, scheduledMs: number): TickInput {
  return { scheduleName: state.name, generation: state.generation, sequence: state.sequence, scheduledTime: iso(scheduledMs) };
}

/** The queue's head as a tick to send, when the schedule's own tick is not pending. */
function queuedTick(state: ScheduleState): NextStep | undefined {
  if (hasPendingTick(state)) return undefined;
  let queue = state.queue;
  while (queue.length > 0) {
    const head = queue[0] as QueuedTick;
    const base = { scheduleName: state.name, generation: state.generation, sequence: 0 };
    if (head.kind === 'manual') {
      return { kind: 'deliver', state: { ...state, queue }, tick: { ...base, scheduledTime: head.time, trigger: 'manual', requestId: head.requestId } };
    }
    const tick = nextTick(timelineOf(state), Date.parse(head.from) - 1);
    if (tick !== undefined && tick < Date.parse(head.to)) {
      return { kind: 'deliver', state: { ...state, queue }, tick: { ...base, scheduledTime: iso(tick), trigger: 'backfill' } };
    }
    queue = queue.slice(1);
  }
  return undefined;
}

/** Whether a result spends one of the tick's attempts: an answer "sink down" (nothing sent) does not. */
export function countsAsAttempt(result: DeliveryResult): boolean {
  return result.ok || result.sinkDown !== true;
}

/**
 * Back-off before the next attempt of the same tick, or undefined when this tick's attempts are over. A tick whose
 * sink is known down comes back after the result's `retryAfterMs` (the breaker's probe interval), not after the
 * back-off, so it goes out within about that long of the sink's recovery; it does so for SINK_DOWN_EXECUTION_MS (or
 * maxBackoff) of `elapsedMs` in this execution (which bounds its history), then it is kept (afterTick) and the next
 * execution goes on.
 */
export function retryAfter(state: ScheduleState, attempts: number, result: DeliveryResult, elapsedMs = 0, tick?: TickInput): number | undefined {
  // Dead-lettered: the activity already ended the tick.
  if (result.ok || result.deadLettered === true) return undefined;
  if (result.sinkDown === true) {
    // Paused: the schedule's own tick waits for the resume (kept), not for the sink.
    if (state.paused !== undefined && tick?.trigger === undefined) return undefined;
    const wait = sinkDownWait(state, result);
    return elapsedMs + wait > Math.max(state.spec.delivery.maxBackoffMs, SINK_DOWN_EXECUTION_MS) ? undefined : wait;
  }
  const failure = result.retryAfterMs === undefined
    ? { retryable: result.retryable }
    : { retryable: result.retryable, retryAfterMs: result.retryAfterMs };
  return retryDelay(state.spec.delivery, attempts, failure);
}

/**
 * How long to wait for the next attempt that `retryAfter` allows after `delay`. A failed probe (a real attempt, the
 * origin still down) comes back after the probe interval like every tick that was not sent, not after its back-off of
 * many seconds, so that it goes out soon after the sink's recovery; until its back-off is over it may not be the
 * probe again (`probeNotBefore`: its request says `mayProbe: false`), so its real attempts keep the policy's spacing.
 */
export function probeWait(state: ScheduleState, result: DeliveryResult, delay: number, now: number): { waitMs: number; probeNotBefore?: number } {
  if (result.ok || result.sinkDown === true || result.sinkDownRetryMs === undefined) return { waitMs: delay };
  const waitMs = Math.min(delay, sinkDownWait(state, result));
  return waitMs < delay ? { waitMs, probeNotBefore: now + delay } : { waitMs };
}

/**
 * How long one execution keeps retrying a tick whose sink is down (at least; maxBackoff if longer). Long enough for
 * several probes, so that a tick spends its attempts on them (and reaches the dead-letter sink) although a kept tick's
 * attempts start again with each execution; short enough to bound the execution's history.
 */
const SINK_DOWN_EXECUTION_MS = 30_000;

/** How long a tick whose sink is down waits before it comes back: the result's hint, within [1 ms, maxBackoff]. */
function sinkDownWait(state: ScheduleState, result: Extract<DeliveryResult, { ok: false }>): number {
  const { maxBackoffMs } = state.spec.delivery;
  return Math.max(1, Math.min(result.sinkDownRetryMs ?? maxBackoffMs, maxBackoffMs));
}

/** Skipped ticks the metrics have not counted yet (see `skippedReported`). */
export function unreportedSkips(state: ScheduleState): number {
  return Math.max(0, state.counters.skipped - (state.skippedReported ?? 0));
}

/** The state once the delivery activity was handed `reported` more skipped ticks to count. */
export function withSkipsReported(state: ScheduleState, reported: number): ScheduleState {
  if (reported === 0) return state;
  const { excusedSkips, ...rest } = state;
  const excused = Math.max(0, (excusedSkips ?? 0) - reported);
  return { ...rest, skippedReported: (state.skippedReported ?? 0) + reported, ...(excused > 0 ? { excusedSkips: excused } : {}) };
}

/** Of the skips not reported yet, how many were of ticks held back on purpose. */
export function excusedSkipsOf(state: ScheduleState): number {
  return Math.min(unreportedSkips(state), state.excusedSkips ?? 0);
}

export function idOf(tick: TickInput): string {
  return tick.trigger === 'manual' && tick.requestId !== undefined ? manualEventId({ ...tick, requestId: tick.requestId }) : eventId(tick);
}

function outcomeOf(result: DeliveryResult): Outcome {
  if (result.ok) return 'delivered';
  if (result.deadLettered === true) return 'deadLettered';
  return result.retryable ? 'failed' : 'rejected';
}

/**
 * The state after a tick's last attempt. `startedAt` is when its first attempt of this execution began. Delivered,
 * dead-lettered or refused for good: the schedule moves on. Retries exhausted: the same tick is tried again after a
 * pause (nothing is lost). Manual and backfilled events are not kept: they leave the queue either way.
 */
export function afterTick(state: ScheduleState, tick: TickInput, attempts: number, result: DeliveryResult, now: Date, startedAt: Date = now): ScheduleState {
  if (!result.ok && result.sinkDown === true) {
    // A manual or backfilled event that was never sent (its sink is down) keeps its place in the queue, uncounted.
    if (tick.trigger !== undefined) return state;
    // The schedule's own tick, no request made in this run (every answer "sink down"): nothing to record as a
    // delivery (a recent entry needs an attempt); it comes back after the probe interval, pending if it was sent before.
    if (attempts === 0) return { ...state, retryNotBefore: iso(now.getTime() + sinkDownWait(state, result)) };
  }
  const outcome = outcomeOf(result);
  const status = result.status === undefined ? {} : { status: result.status };
  const entry: RecentDelivery = {
    sequence: tick.sequence, id: idOf(tick), scheduledTime: tick.scheduledTime, sentTime: now.toISOString(), attempts, ...status, outcome,
    ...(tick.trigger ? { trigger: tick.trigger } : {}),
  };
  const counters = { ...state.counters, [outcome]: state.counters[outcome] + 1 };
  if (tick.trigger === 'manual') counters.triggered += 1;
  if (tick.trigger === 'backfill') counters.backfilled += 1;
  const failures = outcome === 'delivered' ? 0 : state.consecutiveFailures + 1;
  const base: ScheduleState = { ...state, counters, recent: [entry, ...state.recent].slice(0, RECENT_SIZE), consecutiveFailures: failures };
  const moved = tick.trigger === undefined ? afterScheduled(base, tick, attempts, result, now, startedAt) : { ...base, queue: afterQueued(state, tick) };
  const last: LastDelivery = {
    sequence: tick.sequence, id: entry.id, scheduledTime: tick.scheduledTime, outcome, attempts, ...status,
    ...(result.ok ? {} : { reason: result.reason }),
  };
  const withLast = tick.trigger === undefined ? { ...moved, lastDelivery: last } : moved;
  return pausedOnFailure(withLast, outcome, result, now);
}

function afterScheduled(state: ScheduleState, tick: TickInput, attempts: number, result: DeliveryResult, now: Date, startedAt: Date): ScheduleState {
  const scheduled = Date.parse(tick.scheduledTime);
  if (outcomeOf(result) === 'failed') {
    // Kept. Its sink known down: tried again after the probe interval (the breaker says when it is back), not the park.
    const park = !result.ok && result.sinkDownRetryMs !== undefined ? sinkDownWait(state, result) : state.spec.delivery.maxBackoffMs;
    return { ...state, retryNotBefore: iso(now.getTime() + park), pendingSince: state.pendingSince ?? startedAt.toISOString() };
  }
  const { retryNotBefore: _r, pendingSince, nextFireTime: _n, ...rest } = state;
  const following = nextTick(timelineOf(state), scheduled);
  const window = mergedWindow(state.overlapWindow, ...overlapSpan(state, scheduled, pendingSince ?? startedAt.toISOString(), now));
  return {
    ...rest,
    sequence: tick.sequence + 1,
    ...(following === undefined ? { completed: true } : { nextFireTime: iso(following) }),
    ...(window ? { overlapWindow: window } : {}),
  };
}

/**
 * The span whose ticks fell due while this tick was delivered (the overlap policy's), less any pause in it: the ticks
 * of a pause are the catch-up policy's, also when the tick kept at the pause goes out after the resume.
 */
function overlapSpan(state: ScheduleState, scheduled: number, pendingSince: string, now: Date): [number, number] {
  const from = Math.max(scheduled, Date.parse(pendingSince), state.excusedUntil === undefined ? -Infinity : Date.parse(state.excusedUntil));
  return [from, state.paused === undefined ? now.getTime() : Math.min(now.getTime(), Date.parse(state.paused.since))];
}

/** The ticks that fell due during this delivery join those of the deliveries right before it. */
function mergedWindow(old: ScheduleState['overlapWindow'], from: number, until: number): ScheduleState['overlapWindow'] {
  if (until <= from) return old;
  const start = old !== undefined && Date.parse(old.until) >= from ? Math.min(Date.parse(old.from), from) : from;
  return { from: iso(start), until: iso(until) };
}

function afterQueued(state: ScheduleState, tick: TickInput): QueuedTick[] {
  const [head, ...rest] = state.queue;
  if (head === undefined) return [];
  if (head.kind === 'manual') return rest;
  const from = iso(Date.parse(tick.scheduledTime) + 1);
  return Date.parse(from) >= Date.parse(head.to) ? rest : [{ ...head, from }, ...rest];
}

function pausedOnFailure(state: ScheduleState, outcome: Outcome, result: DeliveryResult, now: Date): ScheduleState {
  const limit = state.spec.pauseOnFailure;
  if (limit === undefined || limit < 1 || outcome === 'delivered' || state.paused || state.consecutiveFailures < limit) return state;
  const reason = result.ok ? '' : `: ${result.reason}`;
  const note = `paused after ${state.consecutiveFailures} ticks in a row failed or were dead-lettered (last ${outcome}${reason})`;
  return { ...state, paused: { note: note.length > 500 ? `${note.slice(0, 499)}…` : note, since: now.toISOString() } };
}

/**
 * A changed spec keeps the sequence and generation; it applies from the next tick: the next fire time is recomputed
 * after the last scheduled time (or now) under the new spec, so no tick is invented in between. A pending (already
 * attempted) tick stays the next one. `paused` in the spec pauses or resumes only when it changes.
 */
/**
 * `ownTick`: the scheduled time of the schedule's own tick being delivered now, if one is: like a kept tick, it keeps
 * its place and its sequence (it may have reached the sink already); the new times apply from the tick after it.
 */
export function withSpec(state: ScheduleState, spec: ScheduleSpec, now: Date, ownTick?: string): ScheduleState {
  // A resume by the spec holds ticks back on purpose as a resume event does (see `excusedUntil`).
  const pause = spec.paused === state.spec.paused ? {} : spec.paused
    ? { paused: { note: spec.note ?? 'paused in the spec', since: now.toISOString() } }
    : { paused: undefined, ...(state.paused ? { excusedUntil: now.toISOString() } : {}) };
  const updated: ScheduleState = stripUndefined({ ...state, spec, ...pause });
  if (state.completed === true) return rearmed(updated, state, now);
  if (hasPendingTick(state) || state.nextFireTime === undefined || state.nextFireTime === ownTick) return updated;
  const { retryNotBefore: _r, completed: _c, nextFireTime: _n, ...rest } = updated;
  const last = state.lastDelivery?.scheduledTime;
  const from = last !== undefined ? Date.parse(last) : now.getTime() - 1;
  const next = nextTick(timelineOf(updated), Math.max(from, Math.min(now.getTime() - 1, Date.parse(state.nextFireTime) - 1)));
  return next === undefined ? { ...rest, completed: true } : { ...rest, nextFireTime: iso(next) };
}

/**
 * A schedule that had no tick left (a one-off `at` that fired, an `endAt` passed) whose times were changed: the next
 * tick of the new times after the last one sent and after now, if there is one (a new `at` in the future fires once
 * more). Unchanged times leave it completed: an `at` never fires twice.
 */
function rearmed(updated: ScheduleState, old: ScheduleState, now: Date): ScheduleState {
  const timing = (spec: ScheduleSpec): string => JSON.stringify([spec.trigger, spec.startAtMs, spec.endAtMs, spec.maxCount]);
  if (timing(old.spec) === timing(updated.spec)) return updated;
  const last = old.lastDelivery?.scheduledTime;
  const next = nextTick(timelineOf(updated), Math.max(last !== undefined ? Date.parse(last) : -Infinity, now.getTime() - 1));
  if (next === undefined) return updated;
  const { completed: _c, ...rest } = updated;
  return { ...rest, nextFireTime: iso(next) };
}

export function sameSpec(a: ScheduleSpec, b: ScheduleSpec): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

