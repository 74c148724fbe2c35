/**
 * The one place that turns a normalised spec into what the orchestration carries: the initial state of a new
 * generation (with its origin marker), the payload of a `reschedule` event, the spec a running schedule shows in its
 * status, and the test whether it already runs on a spec. Every start (environment, schedules file, management API)
 * goes through here, so when the orchestration's state changes shape only this file follows it. Today the state
 * carries the whole NormalizedSpec, so most of these are the identity.
 */
import type { TimingSpec } from './fire-times.js';
import { describeSpec, type NormalizedSpec } from './normalized-spec.js';
import { originMarker, type OriginKind } from './schedule-origin.js';
import { newScheduleState, sameSpec, type ScheduleSpec, type ScheduleState } from './schedule-state.js';
import { type ScheduleStatus } from './schedule-status.js';

type StateSpec = { ok: true; spec: ScheduleSpec } | { ok: false; field: string; why: string };

/** The spec a schedule's state carries for `spec`: the orchestration runs on the whole NormalizedSpec. */
export function stateSpecOf(spec: NormalizedSpec): StateSpec {
  return { ok: true, spec };
}

/** The state of a new generation of a schedule, marked as created by `kind` (schedule-origin.ts). */
export function newScheduleStateFor(
  spec: ScheduleSpec,
  name: string,
  now: Date,
  origin: { key: Buffer; kind: OriginKind },
): ScheduleState {
  return newScheduleState(name, spec, now, (n, generation) => originMarker(origin.key, n, generation, origin.kind));
}

/** The payload of the `reschedule` event for a running schedule. */
export function reschedulePayload(spec: ScheduleSpec): unknown {
  return { spec };
}

/** The spec a running schedule runs on, as its status shows it. */
export function runningSpecOf(status: ScheduleStatus): ScheduleSpec {
  return status.normalizedSpec;
}

/** A spec's trigger fields, for log lines. */
export function specSummary(spec: ScheduleSpec): string {
  const { every, offset, cron, timezone, at } = describeSpec(spec);
  return JSON.stringify({ every, offset, cron, timezone, at });
}

/** Whether a running schedule's spec (runningSpecOf its status) already is `spec`. */
export function hasSpec(running: ScheduleSpec, spec: ScheduleSpec): boolean {
  return sameSpec(running, spec);
}

/** The fire-time fields of a running schedule's spec: what a backfill counts ticks by. */
export function timingOf(running: ScheduleSpec): TimingSpec {
  return running;
}
