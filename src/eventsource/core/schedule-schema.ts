/**
 * The one schema of a schedule's state and of the status it shows. Everything that reads a state or a status back
 * from outside the pure core (the orchestrator's input, a custom status read by the starter or the management API)
 * goes through it: the Durable HTTP API lets a key holder start `scheduleOrchestrator` with any input and write any
 * status, so nothing read back is trusted by shape alone. A failure names the field (`sequence: ...`).
 */
import { z } from 'zod';
import { upgradeLegacyState } from './legacy-state.js';
import { checkNormalizedSpec } from './normalized-spec-schema.js';
import type { NormalizedSpec } from './normalized-spec.js';
import { isValidScheduleName } from './schedule-name.js';
import { MAX_QUEUE, RECENT_SIZE, type ScheduleState } from './schedule-state.js';
import type { ScheduleStatus } from './schedule-status.js';

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

/** A normalised spec: shape and content, by the one definition schema (normalized-spec-schema.ts). */
const normalizedSpec = z.unknown().transform((value, ctx): NormalizedSpec => {
  const checked = checkNormalizedSpec(value);
  if (checked.ok) return checked.spec;
  ctx.addIssue({ code: 'custom', message: checked.problem });
  return z.NEVER;
});

const outcome = z.enum(['delivered', 'rejected', 'failed', 'deadLettered']);
const httpStatus = z.number().int().min(0).max(999);
const attempts = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

const lastDeliverySchema = z.object({
  sequence: sequenceNumber,
  id: z.string().min(1).max(64),
  scheduledTime: isoTime,
  outcome,
  status: httpStatus.optional(),
  attempts,
  reason: z.string().max(2_000).optional(),
});

const recentSchema = z.array(z.object({
  sequence: count,
  id: z.string().min(1).max(64),
  scheduledTime: isoTime,
  sentTime: isoTime,
  attempts,
  status: httpStatus.optional(),
  outcome,
  trigger: z.enum(['manual', 'backfill']).optional(),
})).max(RECENT_SIZE);

const countersSchema = z.object({
  delivered: count, rejected: count, failed: count, deadLettered: count, skipped: count, triggered: count, backfilled: count,
});

const pausedSchema = z.object({ note: z.string().max(1_000), since: isoTime });

const queueSchema = z.array(z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('manual'), requestId: z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/), time: isoTime }),
  z.object({ kind: z.literal('backfill'), from: isoTime, to: isoTime }),
])).max(MAX_QUEUE);

const scheduleStateSchema = z.object({
  name: scheduleName,
  spec: normalizedSpec,
  generation,
  sequence: sequenceNumber,
  nextFireTime: isoTime.optional(),
  completed: z.boolean().optional(),
  retryNotBefore: isoTime.optional(),
  pendingSince: isoTime.optional(),
  overlapWindow: z.object({ from: isoTime, until: isoTime }).optional(),
  counters: countersSchema,
  recent: recentSchema,
  paused: pausedSchema.optional(),
  consecutiveFailures: count,
  queue: queueSchema,
  lastDelivery: lastDeliverySchema.optional(),
  origin: origin.optional(),
  skippedReported: count.optional(),
  excusedUntil: isoTime.optional(),
  excusedSkips: count.optional(),
});

const scheduleStatusSchema = z.object({
  name: scheduleName,
  normalizedSpec,
  nextFireTime: isoTime.optional(),
  resumesFrom: isoTime.optional(),
  pendingSince: isoTime.optional(),
  retryNotBefore: isoTime.optional(),
  nextSequence: sequenceNumber,
  generation,
  counters: countersSchema,
  recent: recentSchema,
  paused: pausedSchema.optional(),
  completed: z.boolean().optional(),
  queue: queueSchema,
  // skippedTicks, rejectedTicks, deadLetteredTicks: written by versions before this one (the counters under a second
  // name); a status that has them still reads, without them.
  lastDelivery: lastDeliverySchema.optional(),
  origin: origin.optional(),
});

export type Checked<T> = { ok: true; value: T } | { ok: false; problem: string };

function firstProblem(error: z.ZodError): string {
  const issue = error.issues[0];
  const where = issue?.path.length ? issue.path.join('.') : '(the value)';
  return `${where}: ${issue?.message ?? 'invalid'}`;
}

function check<T>(schema: z.ZodType<T, unknown>, value: unknown): Checked<T> {
  const result = schema.safeParse(value);
  return result.success ? { ok: true, value: result.data } : { ok: false, problem: firstProblem(result.error) };
}

/**
 * Checks an orchestration input: a valid ScheduleState whose name is the one its instance id belongs to
 * (`expectedName` undefined: the instance id is not a schedule's at all).
 */
/**
 * States found valid, by instance and JSON text, with the text of what the schema made of them: an orchestration
 * checks the same input on every episode of an execution (two per tick, and one to end it). Bounded; a miss only
 * costs the check.
 */
const validStates = new Map<string, string>();
const VALID_STATES_MAX = 4_096;

export function checkScheduleState(value: unknown, expectedName: string | undefined, instanceId: string): Checked<ScheduleState> {
  const key = `${instanceId}\u0000${expectedName ?? ''}\u0000${JSON.stringify(value)}`;
  const known = validStates.get(key);
  if (known !== undefined) return { ok: true, value: JSON.parse(known) as ScheduleState };
  const checked = checkStateUncached(value, expectedName, instanceId);
  if (checked.ok) {
    if (validStates.size >= VALID_STATES_MAX) validStates.clear();
    validStates.set(key, JSON.stringify(checked.value));
  }
  return checked;
}

function checkStateUncached(value: unknown, expectedName: string | undefined, instanceId: string): Checked<ScheduleState> {
  let checked = check<ScheduleState>(scheduleStateSchema, value);
  // A state the version before the schedules file wrote (a schedule running across the upgrade) is read as today's.
  const upgraded = checked.ok ? undefined : upgradeLegacyState(value);
  if (upgraded) checked = check<ScheduleState>(scheduleStateSchema, upgraded);
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
