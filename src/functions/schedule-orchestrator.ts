/**
 * One schedule as an eternal orchestration: each execution waits for its next tick (answering the schedule's events
 * meanwhile) and delivers it (with retries), up to TICKS_PER_EXECUTION ticks, then continues-as-new. All decisions
 * come from the pure state machine in eventsource/schedule-state (and schedule-events); this generator only turns
 * them into durable timers, activity calls and events. Deterministic: time comes from the context.
 *
 * Events: one waiter per event name is yielded with everything the execution waits for (the tick's timer, each
 * delivery attempt, each back-off), also when a tick is already due as the execution starts (a schedule behind), so
 * an event is applied as it arrives, one by one in the order they came (a pause stops the retries of the schedule's
 * own tick; the attempt under way ends within its timeout). A waiter is renewed once it has its event. An event that arrives while its name has no open waiter is buffered by
 * the SDK and handed to the next waiter of that name; so before an execution ends, the waiters are yielded once more
 * (`EventWaiters.mayHoldBuffered`): no raised event is left unclaimed at continue-as-new, where the Durable extension
 * drops it.
 */
import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler, Task } from 'durable-functions';
import { applyEvent, checkEvent, type EventName } from '../eventsource/core/schedule-events.js';
import { checkScheduleState } from '../eventsource/core/schedule-schema.js';
import {
  afterTick,
  countsAsAttempt,
  excusedSkipsOf,
  hasPendingTick,
  isExcused,
  nextStep,
  probeWait,
  retryAfter,
  unreportedSkips,
  withSkipsReported,
  type DeliveryResult,
  type ScheduleState,
  type TickInput,
} from '../eventsource/core/schedule-state.js';
import { statusOf } from '../eventsource/core/schedule-status.js';
import { maxAttemptsOf } from '../eventsource/core/delivery-policy.js';
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
function withEvent(context: OrchestrationContext, state: ScheduleState, name: EventName, payload: unknown, delivering: boolean, ownTick?: string): ScheduleState {
  const checked = checkEvent(name, payload);
  if (!checked.ok) {
    if (!context.df.isReplaying) context.warn(`${name} ignored: ${checked.problem}`);
    return state;
  }
  const applied = applyEvent(state, checked.event, context.df.currentUtcDateTime, delivering, ownTick);
  if (applied.ignored !== undefined && !context.df.isReplaying) context.warn(`${name}: ${applied.ignored}`);
  return applied.state;
}

/** An execution answers at most this many events before it continues-as-new (bounds its history). */
const MAX_EVENTS_PER_EXECUTION = 20;

/**
 * An execution delivers at most this many ticks before it continues-as-new. More than one shares the episode that
 * ends an execution and starts the next (and the check of the new input) among them: 2 + 1/K episodes per tick
 * instead of 3. Each episode replays the execution's history, which grows with every tick, so not many more (host
 * CPU per tick measured: two 4-8 % below one, four 0-4 %, eight dearer than one).
 */
export const TICKS_PER_EXECUTION = 2;

/** The open waiters of the schedule's events: one per name, renewed once it has its event. */
class EventWaiters {
  private readonly open = new Map<EventName, Task>();
  /** A waiter was taken since all were last handed out: an event of its name may wait in the SDK's buffer. */
  private taken = false;
  /** Events taken in this execution (a delivery's included): with the ticks, they bound its history. */
  private received = 0;

  constructor(private readonly context: OrchestrationContext) {}

  /** Every name's waiter, a fresh one for a name whose last waiter was taken; the caller yields them now. */
  tasks(): Task[] {
    for (const name of SCHEDULE_EVENTS) if (!this.open.has(name)) this.open.set(name, this.context.df.waitForExternalEvent(name));
    this.taken = false;
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
    if (arrived.length > 0) this.taken = true;
    this.received += arrived.length;
    return arrived;
  }

  /** How many events this execution took so far. */
  get count(): number {
    return this.received;
  }

  /** Whether the SDK may hold an event no waiter took yet (so the execution must not end before yielding again). */
  get mayHoldBuffered(): boolean {
    return this.taken;
  }
}

/**
 * The state after the events that arrived; `delivering`: the tick being delivered now (overlap policy; the
 * schedule's own tick keeps its place under a new spec).
 */
function withArrived(context: OrchestrationContext, state: ScheduleState, waiters: EventWaiters, delivering?: TickInput): ScheduleState {
  const arrived = waiters.take();
  const ownTick = delivering?.trigger === undefined ? delivering?.scheduledTime : undefined;
  let next = state;
  for (const { name, payload } of arrived) next = withEvent(context, next, name, payload, delivering !== undefined, ownTick);
  return next;
}

/** The orchestration's time. */
function nowOf(context: OrchestrationContext): Date {
  return context.df.currentUtcDateTime;
}

/** Waits (rounds of the loop below) an execution makes at most: a tick takes two (its timer, its delivery). */
const MAX_ROUNDS_PER_EXECUTION = MAX_EVENTS_PER_EXECUTION + 2 * TICKS_PER_EXECUTION;

export const scheduleOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  let state = validInput(context);
  const waiters = new EventWaiters(context);
  let ticks = 0;
  let kept = false;
  for (let round = 0; ; round++) {
    // A bounded number of ticks, events and waits per execution (bounded history). A kept tick (not delivered, to be
    // tried again) ends the execution: its attempts start again with the next one.
    const ending = ticks >= TICKS_PER_EXECUTION || kept || waiters.count >= MAX_EVENTS_PER_EXECUTION || round >= MAX_ROUNDS_PER_EXECUTION;
    let until: Date | undefined;
    if (ending) {
      if (!waiters.mayHoldBuffered) break;
      // Before the execution ends: yield the waiters once more, so an event the SDK buffered is applied, not dropped.
      until = nowOf(context);
    } else {
      const step = nextStep(state, nowOf(context));
      // A deliver step's state has the tick taken out of the timeline: it is only kept with the delivery.
      if (step.kind !== 'deliver') state = step.state;
      if (step.kind === 'complete' && !waiters.mayHoldBuffered) {
        // No tick left (at, endAt, maxCount) and nothing queued: the orchestration completes, its status says so.
        context.df.setCustomStatus(statusOf({ ...state, completed: true }));
        return;
      }
      context.df.setCustomStatus(statusOf(step.state));
      if (step.kind === 'deliver') {
        state = yield* deliver(context, step.state, step.tick, waiters);
        ticks += 1;
        kept = hasPendingTick(state);
        continue;
      }
      until = step.kind === 'wait' ? step.until : nowOf(context);
    }
    const timer = until === undefined ? undefined : context.df.createTimer(until);
    const winner: unknown = yield context.df.Task.any([...(timer ? [timer] : []), ...waiters.tasks()]);
    if (winner === timer) continue;
    timer?.cancel();
    state = withArrived(context, state, waiters);
  }
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
 * tick tried again, a manual or backfilled one, nor one a pause or restart held back on purpose), and the skips not
 * reported yet (with how many of them were held back on purpose).
 */
function reportOf(context: OrchestrationContext, state: ScheduleState, tick: TickInput, attempt: number, kept: boolean): Pick<TickRequest, 'attempt' | 'dispatchedAt' | 'lateMs' | 'skipped' | 'skippedOnPurpose'> {
  const now = nowOf(context).getTime();
  const scheduled = Date.parse(tick.scheduledTime);
  const skipped = unreportedSkips(state);
  const onPurpose = excusedSkipsOf(state);
  const first = attempt === 1 && !kept && tick.trigger === undefined && !isExcused(state, scheduled);
  return {
    attempt,
    dispatchedAt: new Date(now).toISOString(),
    ...(first ? { lateMs: Math.max(0, now - scheduled) } : {}),
    ...(skipped > 0 ? { skipped } : {}),
    ...(onPurpose > 0 ? { skippedOnPurpose: onPurpose } : {}),
  };
}

/** How often an attempt during which an event arrived is looked at again (see `attempt`). */
const ATTEMPT_POLL_MS = 1_000;

/**
 * One attempt: the activity and the event waiters yielded together, so an event that arrives meanwhile is applied
 * at once. Only once: the SDK puts a task's action in every Task.any yielded with it, and the host would schedule
 * the activity again. After an event, the rest of the attempt yields the waiters (all of them, so that events are
 * applied one by one, in the order they came) with a short timer, and looks at the activity when one fires; once
 * done, the activity is yielded alone (not scheduled again) for its result.
 */
function* attempt(context: OrchestrationContext, initial: ScheduleState, request: TickRequest, waiters: EventWaiters): Generator<Task, { state: ScheduleState; result: DeliveryResult }, unknown> {
  let state = initial;
  const activity = context.df.callActivity(DELIVERY_ACTIVITY, request);
  let winner: unknown = yield context.df.Task.any([activity, ...waiters.tasks()]);
  while (winner !== activity) {
    state = withArrived(context, state, waiters, request);
    context.df.setCustomStatus(statusOf(state));
    if (activity.isCompleted || activity.isFaulted) break;
    const poll = context.df.createTimer(new Date(nowOf(context).getTime() + ATTEMPT_POLL_MS));
    winner = yield context.df.Task.any([poll, ...waiters.tasks()]);
    if (winner === poll) winner = activity.isCompleted || activity.isFaulted ? activity : poll;
    else poll.cancel();
  }
  let result: DeliveryResult;
  try {
    result = (yield activity) as DeliveryResult;
  } catch (error) {
    // The activity itself failed (not the sink): retry like a network error.
    result = { ok: false, reason: reasonOf(error), retryable: true };
  }
  return { state, result };
}

/** A pause stops the retries of the schedule's own tick (it is kept, and tried again after resume); not of a trigger or backfill. */
function retriesStopped(state: ScheduleState, tick: TickInput): boolean {
  return state.paused !== undefined && tick.trigger === undefined;
}

/** Delivers one tick with the spec's retries; events that arrive meanwhile are applied as a delivery runs. */
function* deliver(context: OrchestrationContext, initial: ScheduleState, tick: TickInput, waiters: EventWaiters): Generator<Task, ScheduleState, unknown> {
  let state = initial;
  const startedAt = nowOf(context);
  const kept = hasPendingTick(initial);
  let attempts = 0;
  let result: DeliveryResult;
  // After a failed probe: until then this tick's attempts go out only if the sink is up again (probeWait).
  let probeNotBefore = Number.NEGATIVE_INFINITY;
  retries: for (;;) {
    attempts += 1;
    // The activity sends a tick whose last attempt fails to the dead-letter sink, if one is set.
    const last = attempts >= maxAttemptsOf(state.spec.delivery);
    const request: TickRequest = {
      ...requestOf(state, tick, last),
      ...reportOf(context, state, tick, attempts, kept),
      ...(nowOf(context).getTime() < probeNotBefore ? { mayProbe: false } : {}),
    };
    // Handed to the activity now: counted there once, whatever this attempt's result.
    state = withSkipsReported(state, request.skipped ?? 0);
    ({ state, result } = yield* attempt(context, state, request, waiters));
    // A "sink down" answer (the breaker) spends none of the tick's attempts.
    if (!countsAsAttempt(result)) attempts -= 1;
    const now = nowOf(context).getTime();
    const delay = retryAfter(state, attempts, result, now - startedAt.getTime(), tick);
    if (delay === undefined || retriesStopped(state, tick)) break;
    context.df.setCustomStatus(statusOf(state));
    const wait = probeWait(state, result, delay, now);
    probeNotBefore = wait.probeNotBefore ?? probeNotBefore;
    const fireAt = new Date(now + wait.waitMs);
    for (;;) {
      // A new timer for each wait: a timer yielded again in a new Task.any would be scheduled again by the host.
      const timer = context.df.createTimer(fireAt);
      if ((yield context.df.Task.any([timer, ...waiters.tasks()])) === timer) break;
      timer.cancel();
      state = withArrived(context, state, waiters, tick);
      context.df.setCustomStatus(statusOf(state));
      if (retriesStopped(state, tick)) break retries;
    }
  }
  return afterTick(state, tick, attempts, result, nowOf(context), startedAt);
}

df.app.orchestration(ORCHESTRATOR, scheduleOrchestrator);
