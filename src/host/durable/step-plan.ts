/**
 * One orchestration step, decided from a snapshot of the instance's partition: which inbox messages become history
 * events, what the orchestrator answers, and which history events, messages and work follow. Pure except for the
 * orchestrator call; the engine commits the plan atomically (or not at all) and performs its effects afterwards.
 *
 * Task ids must match the numbering of durable-functions' TaskOrchestrationExecutor exactly: every id-consuming
 * action gets the next sequence number, and a with-retry task consumes two more per failed attempt (its retry timer,
 * then its re-scheduled attempt) at the moment the orchestrator replays that TaskFailed/TimerFired. The engine
 * mirrors this by placing those retry events FIRST among a step's new events, so all their ids are taken before any
 * orchestrator code resumes in that episode, and numbering the episode's new actions after them.
 */
import { parseActions, type ParsedAction } from './actions.js';
import { failureOf, finishContinueAsNew, finishFailed, toParent } from './execution-end.js';
import { taskResultKey } from './keys.js';
import {
  EventType,
  isTerminal,
  stamp,
  type EventBody,
  type FailureInfo,
  type InboxEntry,
  type InboxMessage,
  type InstanceRecord,
  type OutboxMessage,
  type ParentRef,
  type RetryState,
} from './model.js';
import { openTasks } from './open-tasks.js';
import { retryDelayMs, retryTimedOut } from './retry-delay.js';
import type { FunctionInvoker, HistoryEventJson, OrchestrationTriggerPayload, OrchestratorStateJson } from './types.js';

/**
 * Inputs a step takes: inbox messages of every kind it consumes (each one a delete in the commit) plus due timers
 * it fires. The rest wait for the next step, so that one commit stays within the 100-operation transaction limit.
 */
export const MAX_MESSAGES_PER_STEP = 50;

/** Replay schema V4 with timer limits: our timers have no maximum length, so long timers never need splitting. */
export const TRIGGER_DEFAULTS = {
  upperSchemaVersion: 2,
  upperSchemaVersionNew: 3,
  longRunningTimerIntervalDuration: '3.00:00:00',
  maximumShortTimerDuration: '36500.00:00:00',
  defaultHttpAsyncRequestSleepTimeMillseconds: 30_000,
} as const;

export interface StepInput {
  record: InstanceRecord | undefined;
  /** Events of the record's current execution, in order. */
  history: HistoryEventJson[];
  /** All inbox rows of the partition, ordered by (at, rowKey). */
  inbox: InboxEntry[];
  now: number;
  invoker: FunctionInvoker;
  newExecutionId: () => string;
  /** Fail the orchestration with this message instead of running it (e.g. its payload cannot be stored). */
  forceFailure?: string;
  /** Inputs (consumed messages + fired timers) this step may take; default MAX_MESSAGES_PER_STEP. */
  maxInputs?: number;
}

export interface ActivityWork {
  instanceId: string;
  executionId: string;
  taskId: number;
  name: string;
  /** JSON text of the input. */
  input?: string;
}

export interface StepPlan {
  /** The record to write with If-Match on the snapshot's ETag; undefined when there is no instance row. */
  record?: InstanceRecord;
  /** Execution the appended history belongs to (the one that ran in this step). */
  historyExecutionId?: string;
  historyEvents: HistoryEventJson[];
  consumed: string[];
  /** Inputs taken: consumed messages plus fired timers (at most StepInput.maxInputs). */
  inputs: number;
  inboxInserts: { rowKey: string; at: number; message: InboxMessage }[];
  outbox: OutboxMessage[];
  activities: ActivityWork[];
  /** What happened, for the log. */
  outcome?: 'started' | 'completed' | 'failed' | 'terminated' | 'continuedAsNew' | 'suspended' | 'resumed';
  failure?: string;
}

const OUT_OF_PROC_LABEL = '$OutOfProcData$:';

/**
 * durable-functions reports an orchestrator failure by throwing an error whose message carries the
 * OrchestratorState after `$OutOfProcData$:` (as the real extension parses it). Returns that state, if any.
 */
export function stateFromError(err: unknown): OrchestratorStateJson | undefined {
  const message = err instanceof Error ? err.message : typeof err === 'string' ? err : undefined;
  if (!message) return undefined;
  const at = message.indexOf(OUT_OF_PROC_LABEL);
  if (at < 0) return undefined;
  try {
    return JSON.parse(message.slice(at + OUT_OF_PROC_LABEL.length)) as OrchestratorStateJson;
  } catch {
    return undefined;
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function emptyPlan(): StepPlan {
  return { historyEvents: [], consumed: [], inputs: 0, inboxInserts: [], outbox: [], activities: [] };
}

/**
 * A copy the plan may change without touching the cached record. Field by field: a JSON round trip of the whole
 * record was the engine's largest own cost per step in a profile of 1,000 ticking schedules.
 */
function cloneRecord(record: InstanceRecord): InstanceRecord {
  const { retries } = record.state;
  const copy: InstanceRecord = {
    ...record,
    state: {
      nextEventId: record.state.nextEventId,
      actionIds: [...record.state.actionIds],
      retries: Object.keys(retries).length === 0 ? {} : (JSON.parse(JSON.stringify(retries)) as InstanceRecord['state']['retries']),
    },
  };
  if (record.parent) copy.parent = { ...record.parent };
  return copy;
}


export function childInstanceId(parentId: string, taskId: number, requested?: string): string {
  return requested ?? `${parentId}:${taskId}`;
}

export async function planStep(input: StepInput): Promise<StepPlan> {
  const { record, now } = input;
  const plan = emptyPlan();
  const visible = input.inbox.filter((e) => e.at <= now);

  const budget = Math.max(1, Math.floor(input.maxInputs ?? MAX_MESSAGES_PER_STEP));
  const room = (): boolean => plan.inputs < budget;
  const consume = (entry: InboxEntry): void => {
    plan.consumed.push(entry.rowKey);
    plan.inputs++;
  };

  if (!record) {
    // Messages for an instance that does not exist (purged, or a late result): drop them.
    for (const e of input.inbox) if (room()) consume(e);
    return plan;
  }
  if (isTerminal(record.status)) {
    plan.record = record;
    for (const e of visible) if (room()) consume(e);
    return plan;
  }

  const rec = cloneRecord(record);
  plan.record = rec;
  const runExecutionId = rec.executionId;
  plan.historyExecutionId = runExecutionId;
  const stampNew = (body: EventBody): HistoryEventJson => stamp(body, -1, now, false);

  // Terminate goes first whatever lies before it; the other messages are dropped now or by later steps.
  const terminate = visible.find((e) => e.message.type === 'terminate');
  if (terminate) {
    const reason = terminate.message.type === 'terminate' ? terminate.message.reason : '';
    consume(terminate);
    for (const e of visible) if (e !== terminate && room()) consume(e);
    rec.status = 'Terminated';
    rec.output = JSON.stringify(reason);
    rec.lastUpdatedTime = now;
    plan.historyEvents.push(stampNew({ EventType: EventType.ExecutionTerminated, Input: reason }));
    plan.outbox.push(
      ...toParent(rec.parent, {
        EventType: EventType.SubOrchestrationInstanceFailed,
        TaskScheduledId: rec.parent?.taskId ?? -1,
        ...failureOf(`Sub-orchestration ${rec.instanceId} was terminated: ${reason}`),
      }),
    );
    plan.outcome = 'terminated';
    return plan;
  }

  const newEvents: EventBody[] = [];
  const waitingForStart = rec.status === 'Pending' || rec.status === 'ContinuedAsNew';
  if (waitingForStart) {
    const start = visible.find((e) => e.message.type === 'start' && e.message.executionId === rec.executionId);
    if (start) consume(start);
    for (const e of visible) {
      if (e.message.type === 'start' && e.message.executionId !== rec.executionId && room()) consume(e);
    }
    if (!start || start.message.type !== 'start') return plan;
    const started: EventBody = {
      EventType: EventType.ExecutionStarted,
      Name: rec.name,
      Input: start.message.input,
      OrchestrationInstance: { InstanceId: rec.instanceId, ExecutionId: rec.executionId },
    };
    if (rec.parent) {
      started.ParentInstance = {
        OrchestrationInstance: { InstanceId: rec.parent.instanceId, ExecutionId: rec.parent.executionId },
        TaskScheduleId: rec.parent.taskId,
      };
    }
    newEvents.push(started);
    // Raised events the previous execution never waited for come first, in their order.
    for (const carried of start.message.carried ?? []) newEvents.push({ EventType: EventType.EventRaised, Name: carried.name, Input: carried.input });
    rec.status = 'Running';
    rec.lastUpdatedTime = now;
    if (record.status === 'Pending') plan.outcome = 'started';
  }

  if (input.forceFailure !== undefined) {
    for (const e of visible) {
      if (plan.consumed.includes(e.rowKey) || (e.message.type === 'start' && e.message.executionId !== rec.executionId)) continue;
      if (room()) consume(e);
    }
    return finishFailed(plan, rec, [stampNew({ EventType: EventType.OrchestratorStarted }), ...newEvents.map(stampNew)], input.forceFailure, now);
  }

  // One pass over the visible messages and due timers in time order, within the budget. Suspend/resume apply in
  // their place; while suspended, results, raised events and timers stay buffered, and once one is buffered the later
  // ones wait too, so that the orchestrator always sees them in order. A suspend that follows events taken in this
  // step waits for the next step: those events reach the orchestrator first. (While Pending, nothing gets here:
  // messages wait until the start has been processed.)
  const open = openTasks(input.history);
  type Intake = { at: number; entry: InboxEntry; timer?: undefined } | { at: number; timer: number; entry?: undefined };
  const intake: Intake[] = visible.filter((e) => e.message.type !== 'start').map((entry) => ({ at: entry.at, entry }));
  const dueTimers = [...open.timers].filter(([, fireAt]) => fireAt <= now).sort((a, b) => a[1] - b[1] || a[0] - b[0]);
  for (const [timer, fireAt] of dueTimers) intake.push({ at: fireAt, timer });
  intake.sort((a, b) => a.at - b.at); // stable: messages keep their key order, and come before timers of the same time

  const controlEvents: EventBody[] = [];
  const seen = new Set<string>();
  const candidates: { at: number; event: EventBody }[] = [];
  let buffering = false;
  let eventsTaken = 0;
  for (const item of intake) {
    if (!room()) break;
    if (item.timer !== undefined) {
      if (rec.status === 'Suspended' || buffering) {
        buffering = true;
        continue;
      }
      plan.inputs++;
      eventsTaken++;
      candidates.push({ at: item.at, event: { EventType: EventType.TimerFired, TimerId: item.timer, FireAt: new Date(item.at).toISOString() } });
      continue;
    }
    const e = item.entry;
    const m = e.message;
    if (m.type === 'suspend' || m.type === 'resume') {
      if (m.type === 'suspend' && rec.status === 'Running') {
        if (eventsTaken > 0) break;
        rec.status = 'Suspended';
        controlEvents.push({ EventType: EventType.ExecutionSuspended, Reason: m.reason });
        plan.outcome = 'suspended';
      } else if (m.type === 'resume' && rec.status === 'Suspended') {
        rec.status = 'Running';
        controlEvents.push({ EventType: EventType.ExecutionResumed, Reason: m.reason });
        plan.outcome = 'resumed';
      }
      consume(e);
      continue;
    }
    if (m.type !== 'event') continue;
    if (m.executionId !== undefined && m.executionId !== rec.executionId) {
      consume(e); // a result for an earlier execution: dropped
      continue;
    }
    if (rec.status === 'Suspended' || buffering) {
      buffering = true;
      continue;
    }
    consume(e);
    eventsTaken++;
    const ev = m.event;
    if (ev.EventType === EventType.TaskCompleted || ev.EventType === EventType.TaskFailed) {
      const id = Number(ev.TaskScheduledId);
      if (!open.activities.has(id) || seen.has(`t${id}`)) continue; // duplicate result: recorded once
      seen.add(`t${id}`);
    } else if (ev.EventType === EventType.SubOrchestrationInstanceCompleted || ev.EventType === EventType.SubOrchestrationInstanceFailed) {
      const id = Number(ev.TaskScheduledId);
      if (!open.subs.has(id) || seen.has(`s${id}`)) continue;
      seen.add(`s${id}`);
    } else if (ev.EventType !== EventType.EventRaised) {
      continue;
    }
    candidates.push({ at: e.at, event: ev });
  }
  if (controlEvents.length > 0) rec.lastUpdatedTime = now;
  if (rec.status === 'Suspended') {
    // Nothing was taken but control messages (see above); everything else stays buffered until resume.
    plan.historyEvents = [...newEvents, ...controlEvents].map(stampNew);
    return plan;
  }

  const state = rec.state;
  const decisions: EventBody[] = [];
  const allocating: EventBody[] = [];
  const others: EventBody[] = [];
  const schedule = (id: number, r: Pick<RetryState, 'kind' | 'name' | 'input' | 'childInstanceId'>, failFast?: FailureInfo): void => {
    if (r.kind === 'activity') {
      decisions.push({ EventType: EventType.TaskScheduled, EventId: id, Name: r.name, Input: r.input });
      if (failFast) {
        plan.inboxInserts.push({
          rowKey: taskResultKey(rec.executionId, id),
          at: now,
          message: { type: 'event', executionId: rec.executionId, event: { EventType: EventType.TaskFailed, TaskScheduledId: id, ...failFast } },
        });
      } else {
        plan.activities.push({ instanceId: rec.instanceId, executionId: rec.executionId, taskId: id, name: r.name, ...(r.input !== undefined ? { input: r.input } : {}) });
      }
    } else {
      const childId = childInstanceId(rec.instanceId, id, r.childInstanceId);
      decisions.push({ EventType: EventType.SubOrchestrationInstanceCreated, EventId: id, Name: r.name, Input: r.input, InstanceId: childId });
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
    }
  };

  for (const { event } of candidates) {
    const failedId = event.EventType === EventType.TaskFailed || event.EventType === EventType.SubOrchestrationInstanceFailed ? Number(event.TaskScheduledId) : undefined;
    const retryOfFailed = failedId !== undefined ? state.retries[failedId] : undefined;
    if (failedId !== undefined && retryOfFailed && retryOfFailed.phase === 'running') {
      // The orchestrator will take the next id for the retry timer, even after the last attempt.
      delete state.retries[failedId];
      const timerId = state.nextEventId++;
      const attemptsLeft = retryOfFailed.attempt < retryOfFailed.options.maxNumberOfAttempts;
      let delay = attemptsLeft && !retryOfFailed.timedOut ? retryDelayMs(retryOfFailed.options, retryOfFailed.attempt) : 0;
      const failure: FailureInfo = { Reason: String(event.Reason ?? '') };
      if (event.Details !== undefined) failure.Details = String(event.Details);
      if (event.FailureDetails !== undefined) failure.FailureDetails = event.FailureDetails as FailureInfo['FailureDetails'];
      const next: RetryState = { ...retryOfFailed, phase: 'waiting', lastFailure: failure };
      if (attemptsLeft && !next.timedOut && retryTimedOut(next.options, next.firstAttemptAt, now, delay)) {
        next.timedOut = true;
        delay = 0;
      }
      state.retries[timerId] = next;
      decisions.push({ EventType: EventType.TimerCreated, EventId: timerId, FireAt: new Date(now + delay).toISOString() });
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
        schedule(id, next, next.timedOut ? (next.lastFailure ?? failureOf('retry timeout expired')) : undefined);
        allocating.push(event);
      } else {
        others.push(event); // attempts exhausted: the orchestrator now sees the task fail
      }
      continue;
    }
    others.push(event);
  }

  const orchestratorEvents = [...newEvents, ...controlEvents, ...allocating, ...others];
  // An execution suspended before its first episode still has to run once it is resumed.
  const neverRan = !input.history.some((e) => e.EventType === EventType.OrchestratorStarted);
  const runsOrchestrator = newEvents.length > 0 || allocating.length > 0 || others.length > 0 || neverRan;
  if (!runsOrchestrator) {
    plan.historyEvents = orchestratorEvents.map(stampNew);
    if (decisions.length > 0) plan.historyEvents.push(...decisions.map((d) => stamp(d, Number(d.EventId), now, false)));
    return plan;
  }
  rec.lastUpdatedTime = now;

  const appended: HistoryEventJson[] = [stampNew({ EventType: EventType.OrchestratorStarted }), ...orchestratorEvents.map(stampNew)];
  const payload: OrchestrationTriggerPayload = {
    instanceId: rec.instanceId,
    history: [...input.history.map((e) => ({ ...e, IsPlayed: true })), ...appended],
    input: rec.input === undefined ? undefined : (JSON.parse(rec.input) as unknown),
    isReplaying: input.history.length > 0,
    ...(rec.parent ? { parentInstanceId: rec.parent.instanceId } : {}),
    ...TRIGGER_DEFAULTS,
  };

  let result: OrchestratorStateJson | undefined;
  let failure: string | undefined;
  if (!input.invoker.hasOrchestration(rec.name)) {
    failure = `The orchestrator function '${rec.name}' doesn't exist.`;
  } else {
    try {
      result = await input.invoker.invokeOrchestration(rec.name, payload);
    } catch (err) {
      result = stateFromError(err);
      failure = result?.error ?? errorMessage(err);
    }
  }
  if (result?.error) failure = result.error;
  if (result && 'customStatus' in result) rec.customStatus = result.customStatus === undefined ? undefined : JSON.stringify(result.customStatus);

  const history = [...appended, ...decisions.map((d) => stamp(d, Number(d.EventId), now, false))];
  if (failure !== undefined || !result) {
    return finishFailed(plan, rec, history, failure ?? 'the orchestrator returned no state', now);
  }

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
      const before = decisions.length;
      schedule(id, r);
      history.push(...decisions.slice(before).map((d) => stamp(d, id, now, false)));
      if (action.retry) state.retries[id] = { ...r, options: action.retry, attempt: 1, firstAttemptAt: now, phase: 'running' };
    }
  }
  history.push(stamp({ EventType: EventType.OrchestratorCompleted }, -1, now, false));
  plan.historyEvents = history;
  return plan;
}

/** The plan writes something (otherwise there is nothing to commit). */
export function hasChanges(plan: StepPlan): boolean {
  return plan.consumed.length > 0 || plan.historyEvents.length > 0 || plan.inboxInserts.length > 0 || plan.outbox.length > 0;
}
