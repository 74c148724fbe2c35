import type { DurableOrchestrationStatus } from 'durable-functions';
import { asScheduleStatus } from '../../eventsource/core/schedule-schema.js';
import type { ListStatus } from '../../eventsource/core/schedules-api-requests.js';
import { describeStatus, type DescribedStatus } from '../../eventsource/core/schedule-status.js';
import type { Counters, LastDelivery } from '../../eventsource/core/schedule-state.js';
import { originOf } from './api-answers.js';
import { scheduleNameOf } from './names.js';

/**
 * The facts both answers share. `status` is the one state a person reads (running, paused, failed, completed; for an
 * instance in none of them, its Durable runtime status in lower case); the Durable runtime status itself is a
 * different fact and only describe shows it, as `instance.runtimeStatus`.
 */
interface ScheduleHead {
  name: string;
  status: string;
  origin: string;
}

/**
 * A schedule as `GET /schedules/{name}` shows it: the describe view the orchestration keeps as its custom status
 * (spec, upcoming, recent, counters, paused, ...), without the internals (the normalised spec, the queue), and the
 * Durable instance behind it. A schedule that shows no valid status shows only its head and instance.
 */
export type ScheduleDetail = ScheduleHead &
  Partial<Omit<DescribedStatus, 'name' | 'normalizedSpec' | 'queue' | 'origin' | 'completed'>> & {
    /** Manual and backfill ticks waiting to be sent. */
    queued?: number;
    instanceId: string;
    instance: { runtimeStatus: string; createdTime: Date; lastUpdatedTime: Date };
  };

/** The trigger as written, in the definition's own field names: `every` (and `offset` when not 0), `cron` and `timezone`, or `at`. */
export interface TriggerSummary {
  every?: string;
  offset?: string;
  cron?: string;
  timezone?: string;
  at?: string;
}

/**
 * One entry of `GET /schedules`: what a person scanning a list needs, each under the name describe gives it (describe
 * has the rest).
 */
export type ScheduleSummary = ScheduleHead &
  TriggerSummary & {
    paused?: { note: string; since: string };
    nextFireTime?: string;
    resumesFrom?: string;
    nextSequence?: number;
    lastDelivery?: Pick<LastDelivery, 'sequence' | 'outcome' | 'scheduledTime' | 'status'>;
    counters?: Counters;
  };

/**
 * A schedule continues-as-new after every tick; in that instant Durable reports ContinuedAsNew, which to an
 * operator is simply Running.
 */
export function scheduleRuntimeStatus(status: DurableOrchestrationStatus): string {
  const runtimeStatus = String(status.runtimeStatus);
  return runtimeStatus === 'ContinuedAsNew' ? 'Running' : runtimeStatus;
}

function headOf(originKey: Buffer, status: DurableOrchestrationStatus): ScheduleHead {
  const name = scheduleNameOf(status.instanceId) ?? status.instanceId;
  return { name, status: listStatusOf(status) ?? scheduleRuntimeStatus(status).toLowerCase(), origin: originOf(originKey, name, status) ?? 'unknown' };
}

/** The schedule's own status, when it is a valid one of this schedule (never another schedule's). */
function describedOf(status: DurableOrchestrationStatus, name: string): DescribedStatus | undefined {
  const custom = asScheduleStatus(status.customStatus);
  return custom && custom.name === name ? describeStatus(custom) : undefined;
}

function triggerOf(spec: DescribedStatus['spec']): TriggerSummary {
  const pick = (key: keyof TriggerSummary): TriggerSummary => (typeof spec[key] === 'string' ? { [key]: spec[key] } : {});
  const offset = spec['offset'];
  return { ...pick('every'), ...(typeof offset === 'string' && !/^0[a-z]*$/.test(offset) ? { offset } : {}), ...pick('cron'), ...pick('timezone'), ...pick('at') };
}

/** `originKey` tells who created the schedule (api-answers.ts originOf). */
export function scheduleSummary(originKey: Buffer, status: DurableOrchestrationStatus): ScheduleSummary {
  const head = headOf(originKey, status);
  const d = describedOf(status, head.name);
  if (d === undefined) return head;
  const last = d.lastDelivery;
  return {
    ...head,
    ...triggerOf(d.spec),
    ...(d.paused ? { paused: d.paused } : {}),
    ...(d.nextFireTime !== undefined ? { nextFireTime: d.nextFireTime } : {}),
    ...(d.resumesFrom !== undefined ? { resumesFrom: d.resumesFrom } : {}),
    nextSequence: d.nextSequence,
    ...(last
      ? { lastDelivery: { sequence: last.sequence, outcome: last.outcome, scheduledTime: last.scheduledTime, ...(last.status !== undefined ? { status: last.status } : {}) } }
      : {}),
    counters: d.counters,
  };
}

export function scheduleDetail(originKey: Buffer, status: DurableOrchestrationStatus): ScheduleDetail {
  const head = headOf(originKey, status);
  const instance = {
    instanceId: status.instanceId,
    instance: { runtimeStatus: scheduleRuntimeStatus(status), createdTime: status.createdTime, lastUpdatedTime: status.lastUpdatedTime },
  };
  const d = describedOf(status, head.name);
  if (d === undefined) return { ...head, ...instance };
  // `completed` (no tick left) is said by `upcoming: []`, and by `status` once the orchestration ended.
  const { name: _name, normalizedSpec: _spec, queue, origin: _origin, completed: _completed, ...shown } = d;
  return { ...head, ...shown, queued: queue.length, ...instance };
}

/**
 * The `status` a schedule is listed under: paused when its orchestration says so (a `paused` block in its status, or
 * a durable suspend), failed when it failed or was terminated, completed when it ran out of ticks.
 */
export function listStatusOf(status: DurableOrchestrationStatus): ListStatus | undefined {
  const runtimeStatus = scheduleRuntimeStatus(status);
  const custom: unknown = status.customStatus;
  const pausedInside = typeof custom === 'object' && custom !== null && typeof (custom as { paused?: unknown }).paused === 'object';
  switch (runtimeStatus) {
    case 'Running':
    case 'Pending':
      return pausedInside ? 'paused' : 'running';
    case 'Suspended':
      return 'paused';
    case 'Failed':
    case 'Terminated':
      return 'failed';
    case 'Completed':
      return 'completed';
    default:
      return undefined;
  }
}
