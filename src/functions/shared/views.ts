import type { DurableOrchestrationStatus } from 'durable-functions';
import { asScheduleStatus } from '../../eventsource/core/schedule-schema.js';
import type { ListStatus } from '../../eventsource/core/schedules-api-requests.js';
import { describeStatus, type DescribedStatus } from '../../eventsource/core/schedule-status.js';
import { scheduleNameOf } from './names.js';

/**
 * A schedule as the management API shows it: its runtime status plus the describe view the orchestration keeps as
 * its custom status (spec, upcoming, recent, counters, paused, and the fields before them), without the internals
 * (the normalised spec and the queue). A schedule that shows no valid status shows only name and runtimeStatus.
 */
export type ScheduleView = { name: string; runtimeStatus: string } & Partial<Omit<DescribedStatus, 'name' | 'normalizedSpec' | 'queue'>> & {
  /** The trigger as written (`every`, the cron expression, or the `at` instant) and its time zone, as before the describe view. */
  schedule?: string;
  timeZone?: string;
  /** Manual and backfill ticks waiting to be sent. */
  queued?: number;
};

/**
 * A schedule continues-as-new after every tick; in that instant Durable reports ContinuedAsNew, which to an
 * operator is simply Running.
 */
export function scheduleRuntimeStatus(status: DurableOrchestrationStatus): string {
  const runtimeStatus = String(status.runtimeStatus);
  return runtimeStatus === 'ContinuedAsNew' ? 'Running' : runtimeStatus;
}

export function scheduleView(status: DurableOrchestrationStatus): ScheduleView {
  const name = scheduleNameOf(status.instanceId) ?? status.instanceId;
  const view: ScheduleView = { name, runtimeStatus: scheduleRuntimeStatus(status) };
  // A status that is not a schedule status, or another schedule's, is not shown as this schedule's.
  const custom = asScheduleStatus(status.customStatus);
  if (!custom || custom.name !== name) return view;
  const described = describeStatus(custom);
  const { name: _name, normalizedSpec, queue, origin: _origin, ...describe } = described;
  const t = normalizedSpec.trigger;
  // `schedule` and `timeZone`: the fields of the view before the describe view, for the tools that read them.
  const schedule = t.kind === 'cron' ? t.expression : String(described.spec[t.kind]);
  return { ...view, schedule, timeZone: t.kind === 'cron' ? t.timeZone : 'UTC', ...describe, queued: queue.length };
}

/** The detailed view adds the Durable instance behind the schedule. */
export function scheduleDetail(status: DurableOrchestrationStatus): ScheduleView & { instanceId: string; instance: Record<string, unknown> } {
  return {
    ...scheduleView(status),
    instanceId: status.instanceId,
    instance: {
      runtimeStatus: scheduleRuntimeStatus(status),
      createdTime: status.createdTime,
      lastUpdatedTime: status.lastUpdatedTime,
    },
  };
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
