/**
 * One schedule as an eternal orchestration: each execution waits for its next tick (answering the schedule's events
 * meanwhile), delivers it (with retries), then continues-as-new. All decisions come from the pure state machine in
 * eventsource/schedule-state (and schedule-events); this generator only turns them into durable timers, activity
 * calls and events. Deterministic: time comes from the context.
 *
 * Events: one waiter per event name stays open for the whole execution (while waiting, during an attempt and during
 * a back-off), so an event raised at any time is applied: while waiting at once, during a delivery as soon as the
 * attempt or back-off ends (a trigger then honours the overlap policy). A waiter is renewed once it has its event.
 * Events raised while no waiter is yielded yet are buffered by the SDK and handed to the next one.
 */
import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler, Task } from 'durable-functions';
import { applyEvent, checkEvent, type EventName } from '../eventsource/schedule-events.js';
import { checkScheduleState } from '../eventsource/schedule-schema.js';
import {
  afterTick,
  countsAsAttempt,
  hasPendingTick,
  nextStep,
  retryAfter,
  retryPolicyOfSpec,
  statusOf,
  unreportedSkips,
  withSkipsReported,
  type DeliveryResult,
  type ScheduleState,
  type TickInput,
} from '../eventsource/schedule-state.js';
import type { TickRequest } from '../eventsource/delivery/tick-request.js';
import { DELIVERY_ACTIVITY, ORCHESTRATOR, SCHEDULE_EVENTS, scheduleNameOf } from './shared/names.js';

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

/** The state after event `name` with `payload`; a malformed payload is logged and ignored, never fatal. */
function withEvent(context: OrchestrationContext, state: ScheduleState, name: EventName, payload: unknown, delivering: boolean): ScheduleState {
  const checked = checkEvent(name, payload);
  if (!checked.ok) {
    if (!context.df.isReplaying) context.warn(`${name} ignored: ${checked.problem}`);
    return state;
  }
  const applied = applyEvent(state, checked.event, context.df.currentUtcDateTime, delivering);
  if (applied.ignored !== undefined && !context.df.isReplaying) context.warn(`${name}: ${applied.ignored}`);
  return applied.state;
}

/** An execution answers at most this many events before it continues-as-new (bounds its history). */
const MAX_EVENTS_PER_EXECUTION = 20;

/** The open waiters of the schedule's events: one per name, renewed once it has its event. */
class EventWaiters {
  private readonly open = new Map<EventName, Task>();

  constructor(private readonly context: OrchestrationContext) {}

  /** Every name's waiter, a fresh one for a name whose last waiter was taken. */
  tasks(): Task[] {
    for (const name of SCHEDULE_EVENTS) if (!this.open.has(name)) this.open.set(name, this.context.df.waitForExternalEvent(name));
    return [...this.open.values()];
  }

  /** The events that arrived (in the order of SCHEDULE_EVENTS); their waiters are taken. */
  take(): Array<{ name: EventName; payload: unknown }> {
    const arrived: Array<{ name: EventName; payload: unknown }> = [];
    for (const [name, task] of this.open) {
      if (!task.isCompleted) continue;
      arrived.push({ name, payload: task.result });
      this.open.delete(name);
    }
    return arrived;
  }
}

/** The state after the events that arrived; `delivering`: a tick is being delivered now (overlap policy). */
function withArrived(context: OrchestrationContext, state: ScheduleState, waiters: EventWaiters, delivering: boolean): { state: ScheduleState; count: number } {
  const arrived = waiters.take();
  let next = state;
  for (const { name, payload } of arrived) next = withEvent(context, next, name, payload, delivering);
  return { state: next, count: arrived.length };
}

export const scheduleOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  let state = validInput(context);
  const waiters = new EventWaiters(context);
  let events = 0;
  for (let round = 0; ; round++) {
    const step = nextStep(state, context.df.currentUtcDateTime);
    state = step.state;
    if (step.kind === 'complete') {
      // No tick left (at, endAt, maxCount) and nothing queued: the orchestration completes, its status says so.
      context.df.setCustomStatus(statusOf({ ...state, completed: true }));
      return;
    }
    context.df.setCustomStatus(statusOf(state));
    if (step.kind === 'deliver') {
      state = yield* deliver(context, state, step.tick, waiters);
      break;
    }
    if (events >= MAX_EVENTS_PER_EXECUTION || round >= MAX_EVENTS_PER_EXECUTION) break;
    const timer = step.until === undefined ? undefined : context.df.createTimer(step.until);
    const winner: unknown = yield context.df.Task.any([...(timer ? [timer] : []), ...waiters.tasks()]);
    if (winner === timer) continue;
    timer?.cancel();
    const arrived = withArrived(context, state, waiters, false);
    state = arrived.state;
    events += arrived.count;
  }
  state = withArrived(context, state, waiters, false).state;
  context.df.setCustomStatus(statusOf(state));
  context.df.continueAsNew(state);
};

/** What the delivery activity is given for one attempt of `tick`: the schedule's own event, sink and delivery policy. */
function requestOf(state: ScheduleState, tick: TickInput, lastAttempt: boolean): TickRequest {
  const { spec } = state;
  return {
    ...tick,
    lastAttempt,
    event: spec.event,
    ...(spec.sink !== undefined ? { sink: spec.sink } : {}),
    ...(spec.oidcTokenFile !== undefined ? { oidcTokenFile: spec.oidcTokenFile } : {}),
    delivery: {
      timeout: spec.delivery.timeoutMs,
      ...(spec.delivery.deadLetterSink !== undefined ? { deadLetterSink: spec.delivery.deadLetterSink } : {}),
    },
  };
}

/**
 * What the activity reports to the metrics and the overload monitor with this attempt (replayed code counts
 * nothing itself): the attempt number and dispatch time, the tick's lateness on its first attempt (not for a kept
 * tick tried again, nor a manual or backfilled one), and the skips not reported yet.
 */
function reportOf(context: OrchestrationContext, state: ScheduleState, tick: TickInput, attempt: number, kept: boolean): Pick<TickRequest, 'attempt' | 'dispatchedAt' | 'lateMs' | 'skipped'> {
  const now = context.df.currentUtcDateTime.getTime();
  const skipped = unreportedSkips(state);
  const first = attempt === 1 && !kept && tick.trigger === undefined;
  return {
    attempt,
    dispatchedAt: new Date(now).toISOString(),
    ...(first ? { lateMs: Math.max(0, now - Date.parse(tick.scheduledTime)) } : {}),
    ...(skipped > 0 ? { skipped } : {}),
  };
}

/** Delivers one tick with the spec's retries; events that arrive meanwhile are applied as a delivery runs. */
function* deliver(context: OrchestrationContext, initial: ScheduleState, tick: TickInput, waiters: EventWaiters): Generator<Task, ScheduleState, unknown> {
  let state = initial;
  const startedAt = context.df.currentUtcDateTime;
  const kept = hasPendingTick(initial);
  let attempts = 0;
  let result: DeliveryResult;
  for (;;) {
    attempts += 1;
    // The activity sends a tick whose last attempt fails to the dead-letter sink, if one is set.
    const last = attempts >= retryPolicyOfSpec(state.spec).maxAttempts;
    const request: TickRequest = { ...requestOf(state, tick, last), ...reportOf(context, state, tick, attempts, kept) };
    // Handed to the activity now: counted there once, whatever this attempt's result.
    state = withSkipsReported(state, request.skipped ?? 0);
    try {
      result = (yield context.df.callActivity(DELIVERY_ACTIVITY, request)) as DeliveryResult;
    } catch (error) {
      // The activity itself failed (not the sink): retry like a network error.
      result = { ok: false, reason: reasonOf(error), retryable: true };
    }
    state = withArrived(context, state, waiters, true).state;
    if (!countsAsAttempt(result)) attempts -= 1;
    const delay = retryAfter(state, attempts, result, context.df.currentUtcDateTime.getTime() - startedAt.getTime(), tick);
    if (delay === undefined) break;
    context.df.setCustomStatus(statusOf(state));
    const fireAt = new Date(context.df.currentUtcDateTime.getTime() + delay);
    for (;;) {
      // A new timer for each wait: a timer yielded again in a new Task.any would be scheduled again by the host.
      const timer = context.df.createTimer(fireAt);
      if ((yield context.df.Task.any([timer, ...waiters.tasks()])) === timer) break;
      timer.cancel();
      state = withArrived(context, state, waiters, true).state;
      context.df.setCustomStatus(statusOf(state));
    }
  }
  return afterTick(state, tick, attempts, result, context.df.currentUtcDateTime, startedAt);
}

df.app.orchestration(ORCHESTRATOR, scheduleOrchestrator);
