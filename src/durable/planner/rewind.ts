/**
 * Rewind of a Failed execution, as the extension's rewind does it: the failed task results (TaskFailed,
 * SubOrchestrationInstanceFailed) and the failed ExecutionCompleted are removed from the history, the status is
 * Running again, and the failed activities run again; a failed sub-orchestration is rewound by the same client call
 * and reports its result anew. The orchestrator then goes on as if the tasks had not failed.
 *
 * With-retry tasks: a failed attempt that was retried stays as it is (its retry happened); the LAST attempt's
 * failure is removed together with the retry timer the engine wrote after it (it carries `RetryOf`), the retry
 * bookkeeping of that attempt is restored and the orchestrator's task numbering is moved back by that timer's id, so
 * a new failure of the attempt is retried (or not) exactly as before. Retry timers written by an earlier version do
 * not say what they retry: such a history is not rewound (`rewindable`).
 *
 * The execution continues under a NEW execution id with the rewritten history as its first history row: the old
 * rows become garbage of another execution (deleted by later steps), so history is never rewritten in place and a
 * long history needs no more operations than one step has. Late results for the old id are dropped as stale.
 *
 * As the extension's rewind (DurableTask.AzureStorage `RewindHistoryAsync` / `RewindTaskOrchestrationAsync`): each
 * removed event leaves a GenericEvent in its place (the extension turns the failure rows into GenericEvents, which
 * replay ignores), and every rewound instance without a failed child rewound with it (a "failed leaf") gets a
 * GenericEvent message whose Data is the reason: the step that takes it runs the orchestrator again.
 */
import { EventType, type EventBody, type InboxEntry, type InstanceRecord, type RetryState } from '../instance-state.js';
import { externalMessageKey } from '../keys.js';
import { openTasks } from './open-tasks.js';
import type { HistoryEventJson } from '../wire-types.js';
import { cloneRecord, type StepPlan } from './plan.js';

/** What a rewind of `history` changes. */
export interface RewindChanges {
  /** Indices of the events removed. */
  removed: Set<number>;
  /** Ids of the sub-orchestrations whose failure is removed (they are rewound too). */
  children: string[];
  /** Retry state restored per task id (the last attempt runs again, with its retry options). */
  retries: Record<string, RetryState>;
  /** Ids of the retry timers removed (the orchestrator's numbering goes back by these). */
  timers: number[];
}

const FAILED_TASK: ReadonlySet<number> = new Set([EventType.TaskFailed, EventType.SubOrchestrationInstanceFailed]);

function retryTimers(history: readonly HistoryEventJson[]): Map<number, { index: number; event: HistoryEventJson }> {
  const byFailure = new Map<number, { index: number; event: HistoryEventJson }>();
  history.forEach((event, index) => {
    if (event.EventType === EventType.TimerCreated && event.RetryOf !== undefined) byFailure.set(Number(event.RetryOf), { index, event });
  });
  return byFailure;
}

/** A retry that ran out: no attempt followed the timer (attempts used up, or the retry timeout passed). */
function lastAttempt(retry: RetryState): boolean {
  return retry.timedOut === true || retry.attempt >= retry.options.maxNumberOfAttempts;
}

/** `rewoundChildren`: when given, only the failures of these sub-orchestrations are removed (see the rewind message). */
export function rewindChanges(history: readonly HistoryEventJson[], rewoundChildren?: ReadonlySet<string>): RewindChanges {
  const changes: RewindChanges = { removed: new Set(), children: [], retries: {}, timers: [] };
  const timers = retryTimers(history);
  const fired = new Map<number, number>();
  const created = new Map<number, string>();
  history.forEach((event, index) => {
    if (event.EventType === EventType.TimerFired) fired.set(Number(event.TimerId), index);
    if (event.EventType === EventType.SubOrchestrationInstanceCreated) created.set(Number(event.EventId), String(event.InstanceId));
  });
  history.forEach((event, index) => {
    if (event.EventType === EventType.ExecutionCompleted) changes.removed.add(index);
    if (!FAILED_TASK.has(event.EventType)) return;
    const taskId = Number(event.TaskScheduledId);
    const child = event.EventType === EventType.SubOrchestrationInstanceFailed ? created.get(taskId) : undefined;
    if (rewoundChildren !== undefined && event.EventType === EventType.SubOrchestrationInstanceFailed && (child === undefined || !rewoundChildren.has(child))) return;
    const timer = timers.get(taskId);
    if (timer) {
      const retry = timer.event.Retry as RetryState;
      if (!lastAttempt(retry)) return; // retried: that failure stays
      const timerId = Number(timer.event.EventId);
      changes.removed.add(timer.index);
      const firedAt = fired.get(timerId);
      if (firedAt !== undefined) changes.removed.add(firedAt);
      changes.timers.push(timerId);
      changes.retries[String(taskId)] = { ...retry, phase: 'running' };
    }
    changes.removed.add(index);
    if (child !== undefined) changes.children.push(child);
  });
  return changes;
}

/**
 * Whether the rewind can be done faithfully: the history is there (it starts with ExecutionStarted), every retry
 * timer says what it retries, and the retry timers it removes are the last task ids the orchestrator took (it failed
 * right after them), so moving its numbering back by them matches what its replay will take.
 */
export function rewindable(record: InstanceRecord, history: readonly HistoryEventJson[]): boolean {
  // A failure the engine had to record without its history (a step the storage could not hold): nothing to go on from.
  if (!history.some((event) => event.EventType === EventType.ExecutionStarted)) return false;
  // A retry timer of an earlier version: not among the orchestrator's own actions, and it does not say what it
  // retries, so which failure may go cannot be told.
  const actions = new Set(record.state.actionIds);
  const oldRetryTimer = history.some((event) => event.EventType === EventType.TimerCreated && event.RetryOf === undefined && !actions.has(Number(event.EventId)));
  if (oldRetryTimer) return false;
  const sorted = [...rewindChanges(history).timers].sort((a, b) => b - a);
  return sorted.every((id, i) => id === record.state.nextEventId - 1 - i);
}

/** What is left of a removed event: a GenericEvent at its time (the extension's rewind rewrites such rows so). */
function rewoundPlaceholder(event: HistoryEventJson): HistoryEventJson {
  return { EventType: EventType.GenericEvent, EventId: -1, IsPlayed: true, Timestamp: event.Timestamp };
}

/** The history the rewound execution goes on from (the ExecutionStarted naming the new execution id). */
export function rewoundHistory(history: readonly HistoryEventJson[], removed: ReadonlySet<number>, executionId: string): HistoryEventJson[] {
  return history.map((event, index) => {
    if (removed.has(index)) return rewoundPlaceholder(event);
    if (event.EventType !== EventType.ExecutionStarted) return event;
    const instance = event.OrchestrationInstance as Record<string, unknown> | undefined;
    return instance ? { ...event, OrchestrationInstance: { ...instance, ExecutionId: executionId } } : event;
  });
}

/** The step that rewinds `record` (Failed) on `entry` (a rewind message): only that message is taken. */
export function rewind(plan: StepPlan, record: InstanceRecord, history: readonly HistoryEventJson[], entry: InboxEntry, now: number): StepPlan {
  const m = entry.message;
  if (m.type !== 'rewind') throw new Error('rewind: not a rewind message');
  const changes = rewindChanges(history, new Set(m.subOrchestrations ?? []));
  const rec = cloneRecord(record);
  rec.executionId = m.executionId;
  if (rec.parent && m.parentExecutionId !== undefined) rec.parent = { ...rec.parent, executionId: m.parentExecutionId };
  rec.status = 'Running';
  delete rec.output;
  delete rec.failureDetails;
  rec.lastUpdatedTime = now;
  rec.state.nextEventId -= changes.timers.length;
  Object.assign(rec.state.retries, changes.retries);
  plan.record = rec;
  plan.historyExecutionId = rec.executionId;
  plan.historyEvents = rewoundHistory(history, changes.removed, rec.executionId);
  plan.consumed.push(entry.rowKey);
  plan.inputs++;
  const open = openTasks(plan.historyEvents);
  for (const [taskId, scheduled] of open.activities) {
    const work = { instanceId: rec.instanceId, executionId: rec.executionId, taskId, name: String(scheduled.Name) };
    plan.activities.push(typeof scheduled.Input === 'string' ? { ...work, input: scheduled.Input } : work);
  }
  if (changes.children.length === 0) {
    // A failed leaf: the next step runs the orchestrator again on a GenericEvent carrying the reason (which replay
    // ignores), as the extension revives its failed leaves. An orchestrator that failed in its own code thus runs
    // again (fixed code goes on, unchanged code fails again); a parent waits for its rewound children instead.
    const event: EventBody = { EventType: EventType.GenericEvent, Data: m.reason };
    plan.inboxInserts.push({ rowKey: externalMessageKey(now, `rewind-${rec.executionId}`), at: now, message: { type: 'event', executionId: rec.executionId, event } });
  }
  plan.outcome = 'rewound';
  return plan;
}
