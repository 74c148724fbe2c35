import type { DurableOrchestrationStatus } from 'durable-functions';
import { asScheduleStatus } from '../../eventsource/schedule-schema.js';
import { scheduleNameOf } from './names.js';

/** A schedule as the management API shows it. */
export interface ScheduleView {
  name: string;
  runtimeStatus: string;
  schedule?: string;
  timeZone?: string;
  nextFireTime?: string;
  nextSequence?: number;
  skippedTicks?: number;
  rejectedTicks?: number;
  deadLetteredTicks?: number;
  lastDelivery?: unknown;
}

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
  return {
    ...view,
    schedule: custom.spec.schedule,
    timeZone: custom.spec.timeZone,
    ...(custom.nextFireTime ? { nextFireTime: custom.nextFireTime } : {}),
    nextSequence: custom.nextSequence,
    skippedTicks: custom.skippedTicks,
    rejectedTicks: custom.rejectedTicks,
    deadLetteredTicks: custom.deadLetteredTicks ?? 0,
    ...(custom.lastDelivery ? { lastDelivery: custom.lastDelivery } : {}),
  };
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
