/**
 * The one schema of a schedule's state and of the status it shows. Everything that reads a state or a status back
 * from outside the pure core (the orchestrator's input, a custom status read by the starter or the management API)
 * goes through it: the Durable HTTP API lets a key holder start `scheduleOrchestrator` with any input and write any
 * status, so nothing read back is trusted by shape alone. A failure names the field (`sequence: ...`).
 */
import { z } from 'zod';
import { isValidScheduleName } from './schedule-name.js';
import { specSchema } from './schedule-spec.js';
import type { ScheduleState, ScheduleStatus } from './schedule-state.js';

const count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const sequenceNumber = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);
const isoTime = z.iso.datetime({ offset: false });

const scheduleName = z.string().refine(isValidScheduleName, {
  message: "must be 1-63 characters of a-z, 0-9 and '-', starting with a letter or digit",
});

/** Part of every event id: an ISO time from the starter (no '/', so the id's name stays unambiguous). */
const generation = isoTime;

/** The starter's origin marker (see schedule-origin.ts): hex, fixed length. */
const origin = z.string().regex(/^[0-9a-f]{32}$/, { message: 'must be 32 lowercase hex digits' });

const lastDeliverySchema = z.object({
  sequence: sequenceNumber,
  id: z.string().min(1).max(64),
  scheduledTime: isoTime,
  outcome: z.enum(['delivered', 'rejected', 'failed', 'deadLettered']),
  status: z.number().int().min(0).max(999).optional(),
  attempts: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  reason: z.string().max(2_000).optional(),
});

export const scheduleStateSchema = z.object({
  name: scheduleName,
  spec: specSchema,
  generation,
  sequence: sequenceNumber,
  nextFireTime: isoTime.optional(),
  retryNotBefore: isoTime.optional(),
  skippedTicks: count,
  rejectedTicks: count,
  deadLetteredTicks: count.optional(),
  lastDelivery: lastDeliverySchema.optional(),
  origin: origin.optional(),
});

export const scheduleStatusSchema = z.object({
  name: scheduleName,
  spec: specSchema,
  nextFireTime: isoTime.optional(),
  nextSequence: sequenceNumber,
  generation,
  skippedTicks: count,
  rejectedTicks: count,
  deadLetteredTicks: count.optional(),
  lastDelivery: lastDeliverySchema.optional(),
  origin: origin.optional(),
});

export type Checked<T> = { ok: true; value: T } | { ok: false; problem: string };

function firstProblem(error: z.ZodError): string {
  const issue = error.issues[0];
  const where = issue?.path.length ? issue.path.join('.') : '(the value)';
  return `${where}: ${issue?.message ?? 'invalid'}`;
}

function check<T>(schema: z.ZodType<T>, value: unknown): Checked<T> {
  const result = schema.safeParse(value);
  return result.success ? { ok: true, value: result.data } : { ok: false, problem: firstProblem(result.error) };
}

/**
 * Checks an orchestration input: a valid ScheduleState whose name is the one its instance id belongs to
 * (`expectedName` undefined: the instance id is not a schedule's at all).
 */
export function checkScheduleState(value: unknown, expectedName: string | undefined, instanceId: string): Checked<ScheduleState> {
  const checked = check<ScheduleState>(scheduleStateSchema, value);
  if (!checked.ok) return checked;
  if (expectedName === undefined) {
    return { ok: false, problem: `name: instance ${JSON.stringify(instanceId)} is not a schedule instance (schedule-<name>)` };
  }
  if (checked.value.name !== expectedName) {
    return {
      ok: false,
      problem: `name: ${JSON.stringify(checked.value.name)} does not belong to instance ${JSON.stringify(instanceId)} (expected ${JSON.stringify(expectedName)})`,
    };
  }
  return checked;
}

/** Reads a ScheduleStatus back from an orchestration's custom status (unknown JSON). */
export function checkScheduleStatus(value: unknown): Checked<ScheduleStatus> {
  return check<ScheduleStatus>(scheduleStatusSchema, value);
}

/** The status when it is one, else undefined (for views that show what they can). */
export function asScheduleStatus(value: unknown): ScheduleStatus | undefined {
  const checked = checkScheduleStatus(value);
  return checked.ok ? checked.value : undefined;
}
