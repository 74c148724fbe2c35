/**
 * The life of one schedule as a pure state machine. The orchestrator (src/functions) only interprets it, so the
 * whole decision logic stays deterministic and testable without Durable Functions: no clock (the caller passes the
 * orchestration's own time), no random, no I/O.
 *
 * One orchestration execution handles one tick, then continues-as-new with the next state, so history stays bounded.
 */
import { planFire } from './catch-up.js';
import { eventId } from './event.js';
import { retryDelay, type RetryPolicy } from './retry-policy.js';
import { firstFireTime, nextFireTime, parseSchedule, type Schedule } from './schedule.js';

/** What the operator configured; carried in the state so that replays never read the environment. */
export interface ScheduleSpec {
  /** Interval (`10s`, `PT10S`) or cron expression, as written. */
  schedule: string;
  timeZone: string;
  catchUpWindowMs: number;
  retry: RetryPolicy;
}

export type DeliveryResult =
  | { ok: true; status: number }
  | { ok: false; status?: number; reason: string; retryable: boolean; retryAfterMs?: number; deadLettered?: boolean };

export interface LastDelivery {
  sequence: number;
  id: string;
  scheduledTime: string;
  outcome: 'delivered' | 'rejected' | 'failed' | 'deadLettered';
  status?: number;
  attempts: number;
  reason?: string;
}

export interface ScheduleState {
  name: string;
  spec: ScheduleSpec;
  /** ISO time at which the schedule was first created (by the starter): part of every event id, survives continue-as-new and restarts. */
  generation: string;
  /** The sequence number the next delivered event carries (starts at 1). */
  sequence: number;
  /** ISO scheduled time of the next tick; absent until the first execution anchors the schedule. */
  nextFireTime?: string;
  /** After a tick exhausted its retries: no new attempt before this ISO time (avoids a hot loop on a dead sink). */
  retryNotBefore?: string;
  /** Ticks older than the catch-up window that were never sent. */
  skippedTicks: number;
  /** Ticks the sink refused for good (non-retryable status). */
  rejectedTicks: number;
  /** Ticks sent to the dead-letter sink (attempts ran out or refused for good); absent in states from before it. */
  deadLetteredTicks?: number;
  lastDelivery?: LastDelivery;
  /** The starter's origin marker (schedule-origin.ts), carried unchanged; absent in a state the starter did not create. */
  origin?: string;
}

export interface TickInput {
  scheduleName: string;
  generation: string;
  sequence: number;
  scheduledTime: string;
}

export type NextStep =
  | { kind: 'wait'; until: Date; state: ScheduleState }
  | { kind: 'skip'; state: ScheduleState }
  | { kind: 'deliver'; tick: TickInput; state: ScheduleState };

/** A new generation of a schedule; the starter passes its origin marker for it (see schedule-origin.ts). */
export function newScheduleState(
  name: string,
  spec: ScheduleSpec,
  startedAt: Date,
  marker?: (name: string, generation: string) => string,
): ScheduleState {
  const generation = startedAt.toISOString();
  const state: ScheduleState = { name, spec, generation, sequence: 1, skippedTicks: 0, rejectedTicks: 0 };
  return marker ? { ...state, origin: marker(name, generation) } : state;
}

function scheduleOf(state: ScheduleState): Schedule {
  return parseSchedule(state.spec.schedule, state.spec.timeZone);
}

/** Anchors a fresh schedule: the first fire time counts from the orchestration's own start time. */
function anchored(state: ScheduleState, now: Date): ScheduleState {
  if (state.nextFireTime) return state;
  return { ...state, nextFireTime: firstFireTime(scheduleOf(state), now).toISOString() };
}

/** Decides what this execution does at orchestration time `now`. */
export function nextStep(input: ScheduleState, now: Date): NextStep {
  const state = anchored(input, now);
  const scheduled = new Date(state.nextFireTime as string);
  const notBefore = state.retryNotBefore ? new Date(state.retryNotBefore) : undefined;
  const dueAt = notBefore && notBefore > scheduled ? notBefore : scheduled;
  if (dueAt.getTime() > now.getTime()) return { kind: 'wait', until: dueAt, state };

  // A tick already sent at least once is never skipped: the sink may have kept it, and its id must not pass to
  // a later tick. It goes out late; the catch-up window applies to the ticks after it.
  if (hasPendingTick(state)) {
    return { kind: 'deliver', state, tick: tickOf(state, scheduled) };
  }
  const plan = planFire({
    schedule: scheduleOf(state),
    scheduledTime: scheduled,
    now,
    catchUpWindowMs: state.spec.catchUpWindowMs,
  });
  const caughtUp: ScheduleState = {
    ...state,
    nextFireTime: plan.fireAt.toISOString(),
    skippedTicks: state.skippedTicks + plan.skipped,
    // A skipped tick takes its pending retry pause with it.
    retryNotBefore: plan.skipped > 0 ? undefined : state.retryNotBefore,
  };
  if (plan.fireAt.getTime() > now.getTime()) return { kind: 'skip', state: caughtUp };
  return { kind: 'deliver', state: caughtUp, tick: tickOf(state, plan.fireAt) };
}

function tickOf(state: ScheduleState, scheduledTime: Date): TickInput {
  return {
    scheduleName: state.name,
    generation: state.generation,
    sequence: state.sequence,
    scheduledTime: scheduledTime.toISOString(),
  };
}

/** The next tick is one whose attempts ran out earlier: it was sent, maybe received, and keeps its place. */
function hasPendingTick(state: ScheduleState): boolean {
  const last = state.lastDelivery;
  return last?.outcome === 'failed' && last.sequence === state.sequence && last.scheduledTime === state.nextFireTime;
}

/** Back-off before the next attempt of the same tick, or undefined when this tick's attempts are over. */
export function retryAfter(state: ScheduleState, attempts: number, result: DeliveryResult): number | undefined {
  // Dead-lettered: the activity already ended the tick.
  if (result.ok || result.deadLettered === true) return undefined;
  const failure = result.retryAfterMs === undefined
    ? { retryable: result.retryable }
    : { retryable: result.retryable, retryAfterMs: result.retryAfterMs };
  return retryDelay(state.spec.retry, attempts, failure);
}

/**
 * The state after a tick's last attempt. Delivered or refused for good: the sequence moves on. Retries exhausted:
 * the same tick is tried again after a pause (nothing is lost; the catch-up window decides when it is too old).
 */
export function afterTick(
  state: ScheduleState,
  tick: TickInput,
  attempts: number,
  result: DeliveryResult,
  now: Date,
): ScheduleState {
  const id = eventId(tick);
  const base = {
    sequence: tick.sequence,
    id,
    scheduledTime: tick.scheduledTime,
    attempts,
    ...(result.status === undefined ? {} : { status: result.status }),
  };
  const following = nextFireTime(scheduleOf(state), new Date(tick.scheduledTime)).toISOString();
  if (result.ok) {
    return {
      ...state,
      sequence: tick.sequence + 1,
      nextFireTime: following,
      retryNotBefore: undefined,
      lastDelivery: { ...base, outcome: 'delivered' },
    };
  }
  if (result.deadLettered === true) {
    return {
      ...state,
      sequence: tick.sequence + 1,
      nextFireTime: following,
      retryNotBefore: undefined,
      deadLetteredTicks: (state.deadLetteredTicks ?? 0) + 1,
      lastDelivery: { ...base, outcome: 'deadLettered', reason: result.reason },
    };
  }
  if (!result.retryable) {
    return {
      ...state,
      sequence: tick.sequence + 1,
      nextFireTime: following,
      retryNotBefore: undefined,
      rejectedTicks: state.rejectedTicks + 1,
      lastDelivery: { ...base, outcome: 'rejected', reason: result.reason },
    };
  }
  return {
    ...state,
    nextFireTime: tick.scheduledTime,
    retryNotBefore: new Date(now.getTime() + state.spec.retry.maxBackoffMs).toISOString(),
    lastDelivery: { ...base, outcome: 'failed', reason: result.reason },
  };
}

/**
 * A changed spec (new SCHEDULE, time zone, window or retry policy) keeps the sequence and generation. The next
 * fire time is recomputed from the last scheduled time under the new schedule, so no tick is invented in between.
 */
export function withSpec(state: ScheduleState, spec: ScheduleSpec, now: Date): ScheduleState {
  // A pending (already attempted) tick stays the next one; the new spec applies to the ticks after it.
  if (hasPendingTick(state)) return { ...state, spec };
  const updated: ScheduleState = { ...state, spec, retryNotBefore: undefined };
  const last = state.lastDelivery?.scheduledTime;
  const from = last ? new Date(last) : now;
  return { ...updated, nextFireTime: nextFireTime(scheduleOf(updated), from).toISOString() };
}

export function sameSpec(a: ScheduleSpec, b: ScheduleSpec): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** What the schedule shows as the orchestration's custom status (and the management API returns). */
export interface ScheduleStatus {
  name: string;
  spec: ScheduleSpec;
  nextFireTime?: string;
  nextSequence: number;
  generation: string;
  skippedTicks: number;
  rejectedTicks: number;
  deadLetteredTicks?: number;
  lastDelivery?: LastDelivery;
  origin?: string;
}

export function statusOf(state: ScheduleState): ScheduleStatus {
  return {
    name: state.name,
    spec: state.spec,
    ...(state.nextFireTime ? { nextFireTime: state.nextFireTime } : {}),
    nextSequence: state.sequence,
    generation: state.generation,
    skippedTicks: state.skippedTicks,
    rejectedTicks: state.rejectedTicks,
    ...(state.deadLetteredTicks !== undefined ? { deadLetteredTicks: state.deadLetteredTicks } : {}),
    ...(state.lastDelivery ? { lastDelivery: state.lastDelivery } : {}),
    ...(state.origin ? { origin: state.origin } : {}),
  };
}

/**
 * Rebuilds the state of a schedule whose orchestration ended (terminated by an operator, or failed) from its last
 * custom status, so that starting it again continues the sequence and keeps the generation.
 */
export function stateFromStatus(status: ScheduleStatus, spec: ScheduleSpec, now: Date): ScheduleState {
  const restored: ScheduleState = {
    name: status.name,
    spec: status.spec,
    generation: status.generation,
    sequence: status.nextSequence,
    skippedTicks: status.skippedTicks,
    rejectedTicks: status.rejectedTicks,
    ...(status.deadLetteredTicks !== undefined ? { deadLetteredTicks: status.deadLetteredTicks } : {}),
    ...(status.nextFireTime ? { nextFireTime: status.nextFireTime } : {}),
    ...(status.lastDelivery ? { lastDelivery: status.lastDelivery } : {}),
    ...(status.origin ? { origin: status.origin } : {}),
  };
  return sameSpec(status.spec, spec) ? restored : withSpec(restored, spec, now);
}
