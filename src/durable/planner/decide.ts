/**
 * Decisions: the orchestrator's actions (and the engine's own retries of with-retry tasks) turned into new history,
 * messages, timers, activities, a completion or a continue-as-new. Pure: the step's time comes in with the input.
 *
 * Task ids must match the numbering of durable-functions' TaskOrchestrationExecutor exactly: every id-consuming
 * action gets the next sequence number, and a with-retry task consumes two more per failed attempt (its retry timer,
 * then its re-scheduled attempt) at the moment the orchestrator replays that TaskFailed/TimerFired. The engine
 * mirrors this by placing those retry events FIRST among a step's new events (`applyRetries`), so all their ids are
 * taken before any orchestrator code resumes in that episode, and numbering the episode's new actions after them.
 */
import { parseActions, type ParsedAction } from './actions.js';
import { failureOf, finishContinueAsNew, finishFailed, toParent } from './execution-end.js';
import { taskResultKey } from '../keys.js';
import { EventType, stamp, type EventBody, type FailureInfo, type InstanceRecord, type ParentRef, type RetryState } from '../instance-state.js';
import { retryDelayMs, retryTimedOut } from './retry-delay.js';
import type { HistoryEventJson, OrchestratorStateJson } from '../wire-types.js';
import type { Candidate } from './intake.js';
import { childInstanceId, type StepInput, type StepPlan } from './plan.js';

/** What a scheduled task (or its next attempt) needs. */
export type TaskSpec = Pick<RetryState, 'kind' | 'name' | 'input' | 'childInstanceId'>;

/** Schedules task `id`: an activity to dispatch or a child to create, or (failFast) its failure at once. Its history event. */
export function scheduleTask(plan: StepPlan, rec: InstanceRecord, now: number, id: number, r: TaskSpec, failFast?: FailureInfo): EventBody {
  if (r.kind === 'activity') {
    const decision: EventBody = { EventType: EventType.TaskScheduled, EventId: id, Name: r.name, Input: r.input };
    if (failFast) {
      plan.inboxInserts.push({
        rowKey: taskResultKey(rec.executionId, id),
        at: now,
        message: { type: 'event', executionId: rec.executionId, event: { EventType: EventType.TaskFailed, TaskScheduledId: id, ...failFast } },
      });
    } else {
      plan.activities.push({ instanceId: rec.instanceId, executionId: rec.executionId, taskId: id, name: r.name, ...(r.input !== undefined ? { input: r.input } : {}) });
    }
    return decision;
  }
  const childId = childInstanceId(rec.executionId, id, r.childInstanceId);
  const decision: EventBody = { EventType: EventType.SubOrchestrationInstanceCreated, EventId: id, Name: r.name, Input: r.input, InstanceId: childId };
  const parent: ParentRef = { instanceId: rec.instanceId, executionId: rec.executionId, taskId: id };
  if (failFast) {
    plan.inboxInserts.push({
      rowKey: taskResultKey(rec.executionId, id),
      at: now,
      message: { type: 'event', executionId: rec.executionId, event: { EventType: EventType.SubOrchestrationInstanceFailed, TaskScheduledId: id, ...failFast } },
    });
  } else {
    plan.outbox.push({ type: 'createSub', instanceId: childId, name: r.name, ...(r.input !== undefined ? { input: r.input } : {}), parent });
  }
  return decision;
}

/** The step's inputs sorted for the episode: retry events (which take task ids on replay) before the others. */
export interface RetryOutcome {
  /** TimerCreated / TaskScheduled / SubOrchestrationInstanceCreated the engine decided for retries. */
  decisions: EventBody[];
  /** Failures and retry-timer firings that take ids on replay: first among the new events. */
  allocating: EventBody[];
  others: EventBody[];
}

export function applyRetries(plan: StepPlan, rec: InstanceRecord, candidates: Candidate[], now: number): RetryOutcome {
  const state = rec.state;
  const decisions: EventBody[] = [];
  const allocating: EventBody[] = [];
  const others: EventBody[] = [];
  for (const { event } of candidates) {
    const failedId = event.EventType === EventType.TaskFailed || event.EventType === EventType.SubOrchestrationInstanceFailed ? Number(event.TaskScheduledId) : undefined;
    const retryOfFailed = failedId !== undefined ? state.retries[failedId] : undefined;
    if (failedId !== undefined && retryOfFailed && retryOfFailed.phase === 'running') {
      // The orchestrator will take the next id for the retry timer, even after the last attempt.
      delete state.retries[failedId];
      const timerId = state.nextEventId++;
      const attemptsLeft = retryOfFailed.attempt < retryOfFailed.options.maxNumberOfAttempts;
      let delay = attemptsLeft && !retryOfFailed.timedOut ? retryDelayMs(retryOfFailed.options, retryOfFailed.attempt) : 0;
      const failure: FailureInfo = { Reason: textOf(event.Reason) };
      if (event.Details !== undefined) failure.Details = textOf(event.Details);
      if (event.FailureDetails !== undefined) failure.FailureDetails = event.FailureDetails as FailureInfo['FailureDetails'];
      const next: RetryState = { ...retryOfFailed, phase: 'waiting', lastFailure: failure };
      if (attemptsLeft && !next.timedOut && retryTimedOut(next.options, next.firstAttemptAt, now, delay)) {
        next.timedOut = true;
        delay = 0;
      }
      state.retries[timerId] = next;
      // The timer names the failure it retries and the retry's state, so a rewind can undo the last attempt's
      // failure (planner/rewind.ts); the orchestrator ignores fields it does not know.
      const { lastFailure: _failure, ...retry } = next;
      decisions.push({ EventType: EventType.TimerCreated, EventId: timerId, FireAt: new Date(now + delay).toISOString(), RetryOf: failedId, Retry: retry });
      allocating.push(event);
      continue;
    }
    const timerId = event.EventType === EventType.TimerFired ? Number(event.TimerId) : undefined;
    const retryOfTimer = timerId !== undefined ? state.retries[timerId] : undefined;
    if (timerId !== undefined && retryOfTimer && retryOfTimer.phase === 'waiting') {
      delete state.retries[timerId];
      if (retryOfTimer.attempt < retryOfTimer.options.maxNumberOfAttempts) {
        const id = state.nextEventId++;
        const next: RetryState = { ...retryOfTimer, attempt: retryOfTimer.attempt + 1, phase: 'running' };
        state.retries[id] = next;
        decisions.push(scheduleTask(plan, rec, now, id, next, next.timedOut ? (next.lastFailure ?? failureOf('retry timeout expired')) : undefined));
        allocating.push(event);
      } else {
        others.push(event); // attempts exhausted: the orchestrator now sees the task fail
      }
      continue;
    }
    others.push(event);
  }
  return { decisions, allocating, others };
}

/** After the episode: its answer turned into the step's history, record, messages and work. */
export function decide(input: StepInput, plan: StepPlan, rec: InstanceRecord, history: HistoryEventJson[], episode: { state?: OrchestratorStateJson; failure?: string }): StepPlan {
  const { now } = input;
  const result = episode.state;
  if (result && 'customStatus' in result) rec.customStatus = result.customStatus === undefined ? undefined : JSON.stringify(result.customStatus);
  if (episode.failure !== undefined || !result) {
    return finishFailed(plan, rec, history, episode.failure ?? 'the orchestrator returned no state', now);
  }
  const state = rec.state;
  const parsed = parseActions(result.actions);
  const known = state.actionIds.length;
  const fresh: ParsedAction[] = parsed.tasks.slice(known);
  const unsupported = fresh.find((a) => a.kind === 'unsupported');
  if (unsupported && unsupported.kind === 'unsupported') {
    return finishFailed(plan, rec, history, `${unsupported.what} is not supported by this host`, now);
  }
  if (parsed.tasks.length < known) {
    return finishFailed(plan, rec, history, `Non-deterministic orchestrator: it reported ${parsed.tasks.length} tasks, ${known} were scheduled before`, now);
  }

  if (result.isDone && parsed.continueAsNew) {
    return finishContinueAsNew(plan, rec, history, input, parsed.continueAsNew.input, parsed.waitedEvents);
  }
  if (result.isDone) {
    const output = JSON.stringify(result.output === undefined ? null : result.output);
    rec.status = 'Completed';
    rec.output = output;
    history.push(stamp({ EventType: EventType.ExecutionCompleted, OrchestrationStatus: 'Completed', Result: output }, -1, now, false));
    plan.historyEvents = history;
    plan.outbox.push(...toParent(rec.parent, { EventType: EventType.SubOrchestrationInstanceCompleted, TaskScheduledId: rec.parent?.taskId ?? -1, Result: output }));
    plan.activities = [];
    plan.outcome = 'completed';
    return plan;
  }

  for (const action of fresh) {
    const id = state.nextEventId++;
    state.actionIds.push(id);
    if (action.kind === 'timer') {
      history.push(stamp({ EventType: EventType.TimerCreated, FireAt: new Date(action.fireAt).toISOString() }, id, now, false));
    } else if (action.kind === 'activity' || action.kind === 'sub') {
      const retryBase = { kind: action.kind, name: action.name, ...(action.input !== undefined ? { input: action.input } : {}) };
      const r = action.kind === 'sub' && action.instanceId ? { ...retryBase, childInstanceId: action.instanceId } : retryBase;
      history.push(stamp(scheduleTask(plan, rec, now, id, r), id, now, false));
      if (action.retry) state.retries[id] = { ...r, options: action.retry, attempt: 1, firstAttemptAt: now, phase: 'running' };
    }
  }
  history.push(stamp({ EventType: EventType.OrchestratorCompleted }, -1, now, false));
  plan.historyEvents = history;
  return plan;
}

/** A failure's field as text: a string as it is, nothing as '', anything else as JSON (never [object Object]). */
function textOf(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}
