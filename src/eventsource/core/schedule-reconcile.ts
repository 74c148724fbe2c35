/**
 * What the starter does with a schedule's orchestration when a host starts (and hourly): start it if it does not
 * run, leave it alone if it does, hand it a changed spec without resetting its sequence, and say plainly when the
 * instance behind the schedule's id is not one it created or not healthy. Pure: the caller supplies the observed
 * instance, the time, the origin key and what it saw before.
 *
 * What the starter can know: the origin marker proves that a generation was created by a starter holding the app's
 * secret (schedule-origin.ts); the status schema proves the instance shows a schedule status at all; its own memory
 * (per process) holds the highest sequence it saw. An ended instance that is not provably ours is never continued:
 * a new generation starts, whose event ids cannot collide with any earlier ones. A live one is left alone (it may be
 * delivering a tick) with an error that says what to do.
 */
import { checkScheduleStatus } from './schedule-schema.js';
import { hasOriginOf, type OriginKind } from './schedule-origin.js';
import { newScheduleStateFor } from './schedule-start.js';
import { sameSpec, type ScheduleSpec, type ScheduleState } from './schedule-state.js';
import { stateFromStatus, type ScheduleStatus } from './schedule-status.js';

export interface ObservedInstance {
  runtimeStatus: string;
  customStatus: unknown;
  /** When the instance was created; an instance that never shows a status long after that is stuck. */
  createdTime?: Date;
}

/** The highest sequence the starter saw for a generation of the schedule. */
export interface SeenSequence {
  generation: string;
  sequence: number;
}

interface ReconcileInput {
  name: string;
  spec: ScheduleSpec;
  observed: ObservedInstance | undefined;
  now: Date;
  originKey: Buffer;
  seen?: SeenSequence | undefined;
  /** Who starts the schedule (default `env`): only a generation with this kind's marker is continued or changed. */
  kind?: OriginKind;
}

export type Reconcile =
  | { action: 'start'; state: ScheduleState; why: 'new' | 'restart' }
  | { action: 'start'; state: ScheduleState; why: 'new-generation'; problem: string }
  | { action: 'reschedule'; spec: ScheduleSpec }
  | { action: 'none'; runtimeStatus: string }
  /** Live without a status yet (normal just after a start): look again once it would count as stuck. */
  | { action: 'recheck'; runtimeStatus: string; afterMs: number }
  | { action: 'alert'; runtimeStatus: string; problem: string; advice: string };

/** An instance that shows no schedule status this long after its creation never ran a tick: it is stuck. */
export const STUCK_AFTER_MS = 5 * 60_000;

const LIVE = new Set(['Running', 'Pending', 'Suspended', 'ContinuedAsNew']);

/** An orchestration in one of these states is the schedule running (or paused), not one that ended. */
export function isLive(runtimeStatus: string): boolean {
  return LIVE.has(runtimeStatus);
}

export type Ownership =
  | { ours: true; status: ScheduleStatus }
  | { ours: false; problem: string; noStatus: boolean };

/** Whether a custom status is a schedule status of `name` that this starter (its origin key) created as `kind`. */
export function ownership(name: string, customStatus: unknown, originKey: Buffer, kind: OriginKind = 'env'): Ownership {
  if (customStatus === null || customStatus === undefined || customStatus === '') {
    return { ours: false, problem: 'it shows no schedule status', noStatus: true };
  }
  const checked = checkScheduleStatus(customStatus);
  if (!checked.ok) return { ours: false, problem: `its status is not a schedule status (${checked.problem})`, noStatus: false };
  const status = checked.value;
  if (status.name !== name) {
    return { ours: false, problem: `its status is schedule ${JSON.stringify(status.name)}'s, not ${JSON.stringify(name)}'s`, noStatus: false };
  }
  if (!hasOriginOf(originKey, status.name, status.generation, kind, status.origin)) {
    return {
      ours: false,
      problem: `it was not created by this starter as a schedule of origin ${kind} (no valid origin marker for generation ${status.generation})`,
      noStatus: false,
    };
  }
  return { ours: true, status };
}

const TERMINATE_ADVICE =
  'terminate it (Durable HTTP API: POST /runtime/webhooks/durabletask/instances/<id>/terminate); the starter then ' +
  'starts a new generation of the schedule, whose event ids cannot collide with this instance\'s';

const STUCK_ADVICE =
  'terminate and purge it (POST /runtime/webhooks/durabletask/instances/<id>/terminate, then DELETE ' +
  '/runtime/webhooks/durabletask/instances/<id>); the starter creates the schedule again on its next run ' +
  '(host restart, or hourly)';

function fresh(input: ReconcileInput): ScheduleState {
  return newScheduleStateFor(input.spec, input.name, input.now, { key: input.originKey, kind: input.kind ?? 'env' });
}

function sequenceWentBack(status: ScheduleStatus, seen: SeenSequence | undefined): boolean {
  return seen !== undefined && seen.generation === status.generation && status.nextSequence < seen.sequence;
}

export function reconcile(input: ReconcileInput): Reconcile {
  const { observed, seen } = input;
  if (!observed) return { action: 'start', state: fresh(input), why: 'new' };
  const owner = ownership(input.name, observed.customStatus, input.originKey, input.kind);
  const { runtimeStatus } = observed;

  if (isLive(runtimeStatus)) {
    if (owner.ours) {
      if (sequenceWentBack(owner.status, seen)) {
        const problem = `its sequence went back from ${seen?.sequence} to ${owner.status.nextSequence} (a copy of the schedule's state was started over it)`;
        return { action: 'alert', runtimeStatus, problem, advice: TERMINATE_ADVICE };
      }
      if (!sameSpec(owner.status.normalizedSpec, input.spec)) return { action: 'reschedule', spec: input.spec };
      return { action: 'none', runtimeStatus };
    }
    if (!owner.noStatus) return { action: 'alert', runtimeStatus, problem: owner.problem, advice: TERMINATE_ADVICE };
    // No status yet is normal for a moment after a start; long after it, the instance never ran. A creation time
    // ahead of this clock (skew between hosts) counts as just created.
    const age = observed.createdTime ? Math.max(0, input.now.getTime() - observed.createdTime.getTime()) : 0;
    if (age <= STUCK_AFTER_MS) return { action: 'recheck', runtimeStatus, afterMs: STUCK_AFTER_MS - age + 5_000 };
    const since = observed.createdTime?.toISOString() ?? '?';
    const problem = `it has shown no schedule status since it was created at ${since} (${Math.round(age / 60_000)} min): it never ran a tick (an input the task hub cannot store, or not a schedule state)`;
    return { action: 'alert', runtimeStatus, problem, advice: STUCK_ADVICE };
  }

  // Ended (terminated by an operator, failed, or completed).
  if (!owner.ours) {
    return { action: 'start', state: fresh(input), why: 'new-generation', problem: owner.problem };
  }
  // Start again where it stopped; the sequence never goes back below one this starter saw.
  const state = stateFromStatus(owner.status, input.spec, input.now);
  if (sequenceWentBack(owner.status, seen) && seen) return { action: 'start', state: { ...state, sequence: seen.sequence }, why: 'restart' };
  return { action: 'start', state, why: 'restart' };
}
