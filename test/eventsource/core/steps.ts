/** What the schedule-state regression tests share: seconds after 2030-01-01, a failed attempt, the step that delivers. */
import assert from 'node:assert/strict';
import { nextStep, type DeliveryResult, type ScheduleState, type TickInput } from '../../../src/eventsource/core/schedule-state.js';

/** 2030-01-01T00:00:00Z. */
export const t0 = Date.UTC(2030, 0, 1);

/** `s` seconds after 2030-01-01T00:00:00Z. */
export const at = (s: number): Date => new Date(t0 + s * 1_000);

export const failed: DeliveryResult = { ok: false, reason: 'HTTP 503', status: 503, retryable: true };

/** The step at `s`, which must deliver: the tick it delivers, and the state the delivery runs on. */
export function deliverAt(state: ScheduleState, s: number): { state: ScheduleState; tick: TickInput } {
  const step = nextStep(state, at(s));
  assert.equal(step.kind, 'deliver', `a tick is due at ${s} s`);
  if (step.kind !== 'deliver') throw new Error('unreachable');
  return { state: step.state, tick: step.tick };
}
