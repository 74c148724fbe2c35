/**
 * A schedule spec that arrives from outside the orchestration (the `reschedule` event can be raised by anyone who
 * can reach the Durable API) is checked before it is used: a malformed one must not fail the schedule.
 */
import { z } from 'zod';
import { parseSchedule } from './schedule.js';
import type { ScheduleSpec } from './schedule-state.js';

const positiveInt = z.number().int().positive();

/** One schema for a ScheduleSpec wherever one arrives from outside (a reschedule event, an orchestration input). */
export const specSchema = z
  .object({
    schedule: z.string().min(1),
    timeZone: z.string().min(1),
    catchUpWindowMs: z.number().int().nonnegative(),
    retry: z.object({
      maxAttempts: positiveInt,
      backoffPolicy: z.enum(['exponential', 'linear']),
      backoffDelayMs: positiveInt,
      maxBackoffMs: positiveInt,
    }),
  })
  .refine(
    (spec) => {
      try {
        parseSchedule(spec.schedule, spec.timeZone);
        return true;
      } catch {
        return false;
      }
    },
    { message: 'schedule is not a valid interval or cron expression in that time zone' },
  );

export type SpecCheck = { ok: true; spec: ScheduleSpec } | { ok: false; problem: string };

export function checkScheduleSpec(value: unknown): SpecCheck {
  const result = specSchema.safeParse(value);
  if (result.success) return { ok: true, spec: result.data };
  const issue = result.error.issues[0];
  const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
  return { ok: false, problem: `${where}${issue?.message ?? 'invalid'}` };
}
