/**
 * One schedule as an eternal orchestration: each execution waits for one tick, delivers it (with retries), and
 * continues-as-new. All decisions come from the pure state machine in eventsource/schedule-state; this generator
 * only turns them into durable timers, activity calls and events. Deterministic: time comes from the context.
 */
import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler } from 'durable-functions';
import {
  afterTick,
  nextStep,
  retryAfter,
  statusOf,
  withSpec,
  type DeliveryResult,
  type ScheduleState,
} from '../eventsource/schedule-state.js';
import { checkScheduleState } from '../eventsource/schedule-schema.js';
import { checkScheduleSpec } from '../eventsource/schedule-spec.js';
import { DELIVERY_ACTIVITY, ORCHESTRATOR, RESCHEDULE_EVENT, scheduleNameOf } from './shared/names.js';

/** First line only, bounded: the activity error's details carry a stack that has no place in the status. */
function reasonOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const first = text.split('\n', 1)[0]?.trim() ?? '';
  return first.length > 200 ? `${first.slice(0, 199)}…` : first;
}

/**
 * The input is checked before anything is scheduled: anyone who can start `scheduleOrchestrator` through the Durable
 * API could otherwise hand it another schedule's name (and so its event ids) or a state that is not one. A refused
 * input fails the instance at once, deterministically, with a message naming the field; nothing is delivered.
 */
function validInput(context: OrchestrationContext): ScheduleState {
  const instanceId = context.df.instanceId;
  const checked = checkScheduleState(context.df.getInput<unknown>(), scheduleNameOf(instanceId), instanceId);
  if (checked.ok) return checked.value;
  const message = `refused the orchestration input: ${checked.problem}`;
  if (!context.df.isReplaying) context.error(`${instanceId}: ${message}`);
  throw new Error(message);
}

export const scheduleOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = validInput(context);
  let step = nextStep(input, context.df.currentUtcDateTime);

  if (step.kind === 'wait') {
    context.df.setCustomStatus(statusOf(step.state));
    const timer = context.df.createTimer(step.until);
    const change = context.df.waitForExternalEvent(RESCHEDULE_EVENT);
    const winner: unknown = yield context.df.Task.any([timer, change]);
    if (winner === change) {
      timer.cancel();
      const check = checkScheduleSpec(change.result);
      if (check.ok) {
        context.df.continueAsNew(withSpec(step.state, check.spec, context.df.currentUtcDateTime));
      } else {
        // Anyone who can reach the Durable API can raise the event: a malformed spec is ignored, not fatal.
        if (!context.df.isReplaying) context.warn(`reschedule ignored: ${check.problem}`);
        context.df.continueAsNew(step.state);
      }
      return;
    }
    step = nextStep(step.state, context.df.currentUtcDateTime);
  }
  if (step.kind !== 'deliver') {
    context.df.setCustomStatus(statusOf(step.state));
    context.df.continueAsNew(step.state);
    return;
  }

  context.df.setCustomStatus(statusOf(step.state));
  let attempts = 0;
  let result: DeliveryResult;
  for (;;) {
    attempts += 1;
    try {
      // The activity sends a tick whose last attempt fails to the dead-letter sink, if one is set.
      const lastAttempt = attempts >= step.state.spec.retry.maxAttempts;
      result = (yield context.df.callActivity(DELIVERY_ACTIVITY, { ...step.tick, lastAttempt })) as DeliveryResult;
    } catch (error) {
      // The activity itself failed (not the sink): retry like a network error.
      result = { ok: false, reason: reasonOf(error), retryable: true };
    }
    const delay = retryAfter(step.state, attempts, result);
    if (delay === undefined) break;
    yield context.df.createTimer(new Date(context.df.currentUtcDateTime.getTime() + delay));
  }
  const next = afterTick(step.state, step.tick, attempts, result, context.df.currentUtcDateTime);
  context.df.setCustomStatus(statusOf(next));
  context.df.continueAsNew(next);
};

df.app.orchestration(ORCHESTRATOR, scheduleOrchestrator);
