/**
 * How a step ends an execution other than by completing it: failed (the parent is told), or continued as new (a new
 * execution with its start message, carrying the raised events the old one never waited for).
 */
import { startMessageKey } from '../keys.js';
import {
  EventType,
  freshState,
  stamp,
  type CarriedEvent,
  type EventBody,
  type FailureInfo,
  type InstanceRecord,
  type OutboxMessage,
  type ParentRef,
} from '../instance-state.js';
import type { StepInput, StepPlan } from './plan.js';
import type { HistoryEventJson } from '../wire-types.js';

export function failureOf(message: string, details?: string): FailureInfo {
  const info: FailureInfo = { Reason: message, FailureDetails: { ErrorType: 'Error', ErrorMessage: message } };
  if (details !== undefined) info.Details = details;
  return info;
}

/** Notifies the parent (if any) of this instance's end. */
export function toParent(parent: ParentRef | undefined, event: EventBody): OutboxMessage[] {
  return parent ? [{ type: 'toParent', parent, event }] : [];
}

export function finishFailed(plan: StepPlan, rec: InstanceRecord, history: HistoryEventJson[], message: string, now: number): StepPlan {
  const text = `Orchestrator function '${rec.name}' failed: ${message}`;
  const failure = failureOf(message);
  rec.status = 'Failed';
  rec.output = JSON.stringify(text);
  rec.failureDetails = JSON.stringify(failure.FailureDetails);
  rec.lastUpdatedTime = now;
  history.push(stamp({ EventType: EventType.ExecutionCompleted, OrchestrationStatus: 'Failed', Result: text, FailureDetails: failure.FailureDetails }, -1, now, false));
  plan.historyEvents = history;
  plan.activities = [];
  plan.outbox = toParent(rec.parent, { EventType: EventType.SubOrchestrationInstanceFailed, TaskScheduledId: rec.parent?.taskId ?? -1, ...failureOf(text) });
  plan.inboxInserts = [];
  plan.outcome = 'failed';
  plan.failure = message;
  return plan;
}

/**
 * A step that cannot be stored (too large even alone, or refused by the storage service) fails its instance with a
 * record that carries no payload: the reason and sizes only, so that it always fits. Input and custom status are
 * dropped, the visible messages taken (the poison among them), the parent told. Other instances never notice, and
 * the failed instance can be purged.
 */
export function finishPoisoned(input: StepInput, reason: string, budget: number): StepPlan {
  const record = input.record;
  const plan: StepPlan = { historyEvents: [], consumed: [], inputs: 0, inboxInserts: [], outbox: [], activities: [] };
  for (const e of input.inbox) {
    if (plan.inputs >= budget) break;
    if (e.at > input.now) continue;
    plan.consumed.push(e.rowKey);
    plan.inputs++;
  }
  if (!record) return plan;
  const rec: InstanceRecord = { ...record, state: freshState() };
  delete rec.input;
  delete rec.customStatus;
  plan.record = rec;
  plan.historyExecutionId = rec.executionId;
  const history = [stamp({ EventType: EventType.OrchestratorStarted }, -1, input.now, false)];
  return finishFailed(plan, rec, history, reason, input.now);
}

export function finishContinueAsNew(
  plan: StepPlan,
  rec: InstanceRecord,
  history: HistoryEventJson[],
  input: StepInput,
  newInput: string | undefined,
  waited: string[],
): StepPlan {
  const now = input.now;
  history.push(stamp({ EventType: EventType.ExecutionCompleted, OrchestrationStatus: 'ContinuedAsNew', Result: newInput }, -1, now, false));
  plan.historyEvents = history;
  plan.activities = [];
  plan.outbox = [];
  plan.inboxInserts = [];
  // Raised events the orchestrator never waited for are carried over to the next execution, not lost. They travel in
  // its start message (one row, however many they are) and come right after its ExecutionStarted. `waited` counts the
  // waits of the whole execution, so the events of the whole execution are counted against it (earlier steps too).
  const waits = new Map<string, number>();
  for (const name of waited) waits.set(name, (waits.get(name) ?? 0) + 1);
  const seenPerName = new Map<string, number>();
  const carried: CarriedEvent[] = [];
  for (const e of [...input.history, ...history]) {
    if (e.EventType !== EventType.EventRaised) continue;
    const name = String(e.Name);
    const n = (seenPerName.get(name) ?? 0) + 1;
    seenPerName.set(name, n);
    if (n > (waits.get(name) ?? 0)) carried.push({ name, ...(typeof e.Input === 'string' ? { input: e.Input } : {}) });
  }
  const executionId = input.newExecutionId();
  rec.executionId = executionId;
  rec.status = 'ContinuedAsNew';
  if (newInput === undefined) delete rec.input;
  else rec.input = newInput;
  delete rec.output;
  delete rec.failureDetails;
  rec.state = freshState();
  rec.lastUpdatedTime = now;
  plan.inboxInserts.push({
    rowKey: startMessageKey(executionId),
    at: now,
    message: { type: 'start', executionId, name: rec.name, ...(newInput !== undefined ? { input: newInput } : {}), ...(carried.length > 0 ? { carried } : {}) },
  });
  plan.outcome = 'continuedAsNew';
  return plan;
}
