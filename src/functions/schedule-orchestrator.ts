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
  type ScheduleSpec,
  type ScheduleState,
} from '../eventsource/schedule-state.js';
import { DELIVERY_ACTIVITY, ORCHESTRATOR, RESCHEDULE_EVENT } from './shared/names.js';

function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export const scheduleOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<ScheduleState>();
  let step = nextStep(input, context.df.currentUtcDateTime);

  if (step.kind === 'wait') {
    context.df.setCustomStatus(statusOf(step.state));
    const timer = context.df.createTimer(step.until);
    const change = context.df.waitForExternalEvent(RESCHEDULE_EVENT);
    const winner: unknown = yield context.df.Task.any([timer, change]);
    if (winner === change) {
      timer.cancel();
      const spec = change.result as ScheduleSpec;
      context.df.continueAsNew(withSpec(step.state, spec, context.df.currentUtcDateTime));
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
      result = (yield context.df.callActivity(DELIVERY_ACTIVITY, step.tick)) as DeliveryResult;
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
