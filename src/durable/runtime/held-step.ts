/**
 * A step held back from its commit: one whose only effect is to start activities (a schedule's timer fired, its
 * delivery scheduled) is not committed alone. Its activities start at once and the step is committed together with
 * the step that takes their results: one entity-group transaction per tick instead of two (issue #19).
 *
 * Nothing is lost by holding: until that commit the storage still holds the state before the held step, so a crash
 * replays it, decides the same activities with the same task ids, and runs them again (at least once, as an activity
 * that finished but whose result was not yet committed always did; a delivery's event id stays the same).
 */
import { sortInbox, type InboxEntry } from '../instance-state.js';
import type { StepPlan } from '../planner/step-plan.js';
import type { PartitionSnapshot } from '../store/hub-store.js';

export interface HeldStep {
  plan: StepPlan;
  /** The stored record's ETag the held step was planned on: valid while the stored state is still that one. */
  etag: string;
}

/** Whether the plan may wait for the next one: it starts activities and writes nothing another party could see. */
export function mayHold(snap: PartitionSnapshot, plan: StepPlan): boolean {
  const rec = plan.record;
  const stored = snap.record;
  if (!rec || !stored || plan.activities.length === 0) return false;
  if (plan.outbox.length > 0 || plan.outcome !== undefined || plan.failure !== undefined) return false;
  return rec.status === 'Running' && rec.executionId === stored.executionId && (plan.historyExecutionId ?? rec.executionId) === rec.executionId;
}

/**
 * The state the held step would have committed on top of `stored`: what the next plan starts from. The record keeps
 * the stored ETag and counters (the merged commit advances them once); rows the held step inserts are not stored
 * yet, so they are volatile here.
 */
export function afterHeld(stored: PartitionSnapshot, held: StepPlan): PartitionSnapshot {
  const record = held.record && stored.record ? { ...held.record, etag: stored.record.etag } : stored.record;
  const consumed = new Set(held.consumed);
  const inserted: InboxEntry[] = held.inboxInserts.map((i) => ({ rowKey: i.rowKey, at: i.at, message: i.message, volatile: true }));
  const kept = stored.inbox.filter((e) => !consumed.has(e.rowKey));
  const next: PartitionSnapshot = {
    ...stored,
    history: [...stored.history, ...held.historyEvents],
    inbox: sortInbox([...kept, ...inserted.filter((i) => !kept.some((e) => e.rowKey === i.rowKey))]),
  };
  if (record) next.record = record;
  return next;
}

/**
 * The held step and the next one as ONE plan on top of the stored state. The next one was planned from afterHeld,
 * so its record carries both; the held step's activities have started already.
 */
export function mergeHeld(held: StepPlan, next: StepPlan, storedExecutionId: string | undefined): StepPlan {
  const nextExecution = next.historyExecutionId ?? storedExecutionId;
  // The next step ran a new execution (continue-as-new): the held step's history belongs to the ended one, garbage.
  const historyEvents = nextExecution === storedExecutionId ? [...held.historyEvents, ...next.historyEvents] : next.historyEvents;
  const consumedNext = new Set(next.consumed);
  const insertedNext = new Set(next.inboxInserts.map((i) => i.rowKey));
  const plan: StepPlan = {
    historyEvents,
    consumed: [...held.consumed, ...next.consumed],
    inputs: held.inputs + next.inputs,
    inboxInserts: [...held.inboxInserts.filter((i) => !consumedNext.has(i.rowKey) && !insertedNext.has(i.rowKey)), ...next.inboxInserts],
    outbox: [...held.outbox, ...next.outbox],
    activities: next.activities,
  };
  const record = next.record ?? held.record;
  if (record) plan.record = record;
  const execution = next.historyExecutionId ?? held.historyExecutionId;
  if (execution !== undefined) plan.historyExecutionId = execution;
  if (next.outcome !== undefined) plan.outcome = next.outcome;
  if (next.failure !== undefined) plan.failure = next.failure;
  return plan;
}
