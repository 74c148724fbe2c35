import { isValidScheduleName } from '../../eventsource/core/schedule-name.js';

/** Names shared by the function bindings; the orchestration instance id is derived from the schedule name. */
export const ORCHESTRATOR = 'scheduleOrchestrator';
export const DELIVERY_ACTIVITY = 'deliverTick';

/**
 * The external events a schedule's orchestration handles, and their payloads (the management API and the starter
 * raise them): `reschedule {spec}`, `pause {note?}`, `resume {note?}`, `trigger {requestId}`, `backfill {from, to}`
 * (ISO times).
 */
export const RESCHEDULE_EVENT = 'reschedule';
export const PAUSE_EVENT = 'pause';
export const RESUME_EVENT = 'resume';
export const TRIGGER_EVENT = 'trigger';
export const BACKFILL_EVENT = 'backfill';
export const SCHEDULE_EVENTS = [RESCHEDULE_EVENT, PAUSE_EVENT, RESUME_EVENT, TRIGGER_EVENT, BACKFILL_EVENT] as const;

const INSTANCE_PREFIX = 'schedule-';

/** Deterministic per schedule name, so a restarted container finds its schedule instead of starting a second one. */
export function instanceIdFor(scheduleName: string): string {
  return `${INSTANCE_PREFIX}${scheduleName}`;
}

/** The schedule name an instance id belongs to, or undefined when it is not a schedule's instance id. */
export function scheduleNameOf(instanceId: string): string | undefined {
  if (!instanceId.startsWith(INSTANCE_PREFIX)) return undefined;
  const name = instanceId.slice(INSTANCE_PREFIX.length);
  return isValidScheduleName(name) ? name : undefined;
}
