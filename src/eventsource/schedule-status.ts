/**
 * What a schedule shows as its orchestration's custom status: the describe view of `GET /schedules/{name}` (spec,
 * upcoming, recent, counters, paused) plus the fields the status always had (nextFireTime, nextSequence, ...). The
 * starter rebuilds a stopped schedule's state from it, so it carries what a restart needs.
 */
import { upcoming } from './fire-times.js';
import { describeSpec, type DefinitionView } from './normalized-spec.js';
import {
  ZERO_COUNTERS,
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

export const UPCOMING_SIZE = 10;

export interface ScheduleStatus {
  name: string;
  /** The spec in the definition's own shape (describeSpec: every default shown, credentials redacted). */
  spec: DefinitionView;
  /** The normalised spec the orchestration runs on (what a restart continues with, and what a reschedule compares). */
  normalizedSpec: ScheduleSpec;
  nextFireTime?: string;
  /** The next fire times (ISO), the next tick first; empty when the schedule has no tick left. */
  upcoming: string[];
  nextSequence: number;
  generation: string;
  counters: Counters;
  recent: RecentDelivery[];
  paused?: { note: string; since: string };
  completed?: boolean;
  queue: QueuedTick[];
  /** Today's counters, kept for the readers of the status before the describe view. */
  skippedTicks: number;
  rejectedTicks: number;
  deadLetteredTicks: number;
  lastDelivery?: LastDelivery;
  origin?: string;
}

export function statusOf(state: ScheduleState): ScheduleStatus {
  const next = state.completed === true ? undefined : state.nextFireTime;
  const later = next === undefined ? [] : upcoming(timelineOf(state), Date.parse(next), UPCOMING_SIZE - 1);
  return {
    name: state.name,
    spec: describeSpec(state.spec),
    normalizedSpec: state.spec,
    ...(next !== undefined ? { nextFireTime: next } : {}),
    upcoming: next === undefined ? [] : [next, ...later.map((t) => new Date(t).toISOString())],
    nextSequence: state.sequence,
    generation: state.generation,
    counters: state.counters,
    recent: state.recent,
    ...(state.paused ? { paused: state.paused } : {}),
    ...(state.completed === true ? { completed: true } : {}),
    queue: state.queue,
    skippedTicks: state.counters.skipped,
    rejectedTicks: state.counters.rejected,
    deadLetteredTicks: state.counters.deadLettered,
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
  const restored: ScheduleState = {
    name: status.name,
    spec: status.normalizedSpec,
    generation: status.generation,
    sequence: status.nextSequence,
    counters: { ...ZERO_COUNTERS, ...status.counters },
    recent: status.recent,
    consecutiveFailures: 0,
    queue: status.queue,
    ...(status.nextFireTime ? { nextFireTime: status.nextFireTime } : {}),
    ...(status.completed === true ? { completed: true } : {}),
    ...(status.paused ? { paused: status.paused } : {}),
    ...(status.lastDelivery ? { lastDelivery: status.lastDelivery } : {}),
    ...(status.origin ? { origin: status.origin } : {}),
  };
  return sameSpec(status.normalizedSpec, spec) ? restored : withSpec(restored, spec, now);
}
