/**
 * What a schedule shows as its orchestration's custom status (recent, counters, paused, the normalised spec, and the
 * fields the status always had: nextFireTime, nextSequence, ...). The starter rebuilds a stopped schedule's state
 * from it, so it carries what a restart needs. The parts of the describe view that follow from the spec alone (its
 * definition view, the upcoming fire times) are computed when it is read (describeStatus), not written on every
 * episode: with them in it, every tick serialised and stored a few KiB more (in the bench's profile, 0.3 ms of host
 * CPU per tick).
 */
import { upcoming } from './fire-times.js';
import { describeSpec, type DefinitionView } from './normalized-spec.js';
import {
  ZERO_COUNTERS,
  hasPendingTick,
  sameSpec,
  timelineOf,
  withSpec,
  type Counters,
  type LastDelivery,
  type QueuedTick,
  type RecentDelivery,
  type ScheduleSpec,
  type ScheduleState,
} from './schedule-state.js';

const UPCOMING_SIZE = 10;

export interface ScheduleStatus {
  name: string;
  /** The normalised spec the orchestration runs on (what a restart continues with, and what a reschedule compares). */
  normalizedSpec: ScheduleSpec;
  /** When the next tick fires; absent once none is left, and while paused (no tick fires then: see `resumesFrom`). */
  nextFireTime?: string;
  /** While paused: the scheduled time of the first tick the pause holds back (on resume the catch-up policy decides about it). */
  resumesFrom?: string;
  /** A kept tick (sent, its attempts ran out; it keeps its place and id): when its first attempt was made... */
  pendingSince?: string;
  /** ...and no new attempt before this time. A restart from the status keeps both. */
  retryNotBefore?: string;
  nextSequence: number;
  generation: string;
  counters: Counters;
  recent: RecentDelivery[];
  paused?: { note: string; since: string };
  completed?: boolean;
  queue: QueuedTick[];
  lastDelivery?: LastDelivery;
  origin?: string;
}

/** The describe view of a status: it, with the spec in the definition's own shape and the next fire times. */
export interface DescribedStatus extends ScheduleStatus {
  /** The spec in the definition's own shape (describeSpec: every default shown, credentials redacted). */
  spec: DefinitionView;
  /** The next fire times (ISO), the next tick first; empty when the schedule has no tick left. */
  upcoming: string[];
}

export function describeStatus(status: ScheduleStatus): DescribedStatus {
  const next = status.completed === true ? undefined : status.nextFireTime;
  const later = next === undefined ? [] : upcoming(timelineOf({ spec: status.normalizedSpec, generation: status.generation }), Date.parse(next), UPCOMING_SIZE - 1);
  return {
    ...status,
    spec: describeSpec(status.normalizedSpec),
    upcoming: next === undefined ? [] : [next, ...later.map((t) => new Date(t).toISOString())],
  };
}

export function statusOf(state: ScheduleState): ScheduleStatus {
  const next = state.completed === true ? undefined : state.nextFireTime;
  const kept = state.pendingSince !== undefined && hasPendingTick(state)
    ? { pendingSince: state.pendingSince, ...(state.retryNotBefore !== undefined ? { retryNotBefore: state.retryNotBefore } : {}) }
    : {};
  return {
    name: state.name,
    normalizedSpec: state.spec,
    ...(next === undefined ? {} : state.paused ? { resumesFrom: next } : { nextFireTime: next }),
    ...kept,
    nextSequence: state.sequence,
    generation: state.generation,
    counters: state.counters,
    recent: state.recent,
    ...(state.paused ? { paused: state.paused } : {}),
    ...(state.completed === true ? { completed: true } : {}),
    queue: state.queue,
    ...(state.lastDelivery ? { lastDelivery: state.lastDelivery } : {}),
    ...(state.origin ? { origin: state.origin } : {}),
  };
}

/**
 * Rebuilds the state of a schedule whose orchestration ended (terminated by an operator, or failed) from its last
 * custom status, so that starting it again continues the sequence and keeps the generation. A completed schedule
 * stays completed (an `at` never fires twice).
 */
export function stateFromStatus(status: ScheduleStatus, spec: ScheduleSpec, now: Date): ScheduleState {
  const next = status.nextFireTime ?? status.resumesFrom;
  const restored: ScheduleState = {
    name: status.name,
    spec: status.normalizedSpec,
    generation: status.generation,
    sequence: status.nextSequence,
    counters: { ...ZERO_COUNTERS, ...status.counters },
    recent: status.recent,
    consecutiveFailures: 0,
    queue: status.queue,
    ...(next !== undefined ? { nextFireTime: next } : {}),
    // A kept tick stays kept: it was sent, and its sequence number stays its own (never reused with another id).
    ...(status.pendingSince !== undefined && next !== undefined ? { pendingSince: status.pendingSince } : {}),
    ...(status.retryNotBefore !== undefined && next !== undefined ? { retryNotBefore: status.retryNotBefore } : {}),
    // The ticks missed while the schedule was stopped were held back on purpose (see `excusedUntil`).
    excusedUntil: now.toISOString(),
    ...(status.completed === true ? { completed: true } : {}),
    ...(status.paused ? { paused: status.paused } : {}),
    ...(status.lastDelivery ? { lastDelivery: status.lastDelivery } : {}),
    ...(status.origin ? { origin: status.origin } : {}),
    // The skips of the ended run were counted then (or are lost with it): none is counted twice.
    skippedReported: status.counters.skipped,
  };
  return sameSpec(status.normalizedSpec, spec) ? restored : withSpec(restored, spec, now);
}
