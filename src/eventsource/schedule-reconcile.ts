/**
 * What the starter does with a schedule's orchestration when a host starts: start it if it does not run, leave it
 * alone if it does, and hand it a changed spec without resetting its sequence. Pure: the caller supplies the
 * observed instance (runtime status + custom status) and the time.
 */
import {
  asScheduleStatus,
  newScheduleState,
  sameSpec,
  stateFromStatus,
  type ScheduleSpec,
  type ScheduleState,
} from './schedule-state.js';

export interface ObservedInstance {
  runtimeStatus: string;
  customStatus: unknown;
}

export type Reconcile =
  | { action: 'start'; state: ScheduleState; why: 'new' | 'restart' }
  | { action: 'reschedule'; spec: ScheduleSpec }
  | { action: 'none'; runtimeStatus: string };

const LIVE = new Set(['Running', 'Pending', 'Suspended', 'ContinuedAsNew']);

/** An orchestration in one of these states is the schedule running (or paused), not one that ended. */
export function isLive(runtimeStatus: string): boolean {
  return LIVE.has(runtimeStatus);
}

export function reconcile(name: string, spec: ScheduleSpec, observed: ObservedInstance | undefined, now: Date): Reconcile {
  if (!observed) return { action: 'start', state: newScheduleState(name, spec, now), why: 'new' };
  const status = asScheduleStatus(observed.customStatus);
  if (isLive(observed.runtimeStatus)) {
    if (status && !sameSpec(status.spec, spec)) return { action: 'reschedule', spec };
    return { action: 'none', runtimeStatus: observed.runtimeStatus };
  }
  // Ended (terminated by an operator, failed, or completed): start again where it stopped.
  const state = status ? stateFromStatus(status, spec, now) : newScheduleState(name, spec, now);
  return { action: 'start', state, why: 'restart' };
}
