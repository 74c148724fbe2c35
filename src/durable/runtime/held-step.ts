/**
 * A step held back from its commit: one that takes only activity results (held in memory) and has no effect outside
 * the instance (no activity, no message, no end) is not committed alone. It is committed together with the instance's
 * next step, BEFORE that step's effects start: a schedule's "delivered, next timer set" goes with the next tick's
 * "timer fired, delivery scheduled", one entity-group transaction per tick instead of two (issue #19).
 *
 * What holding risks is what a result held in memory always risked: a crash before the commit loses the result and
 * the activity runs again with the same task id (at least once; a delivery's event id stays the same). It never
 * starts an effect from a step that is not durable, so a re-plan after a crash, which may see messages in another
 * order, can never contradict an effect that already happened (src/durable/README.md: dispatch after commit).
 */
import { NO_WAKE, sortInbox, type InboxEntry } from '../instance-state.js';
import type { StepPlan } from '../planner/step-plan.js';
import type { PartitionSnapshot } from '../store/hub-store.js';

/**
 * A step is held only when the instance's next step is due within this (clock time), and one that no next step took
 * by then is committed alone: the stored state lags no more than this, and a crash re-runs no activity that finished
 * earlier. Above a 1 s schedule's period, so that its ticks share; a slower schedule commits each step at once.
 */
export const HOLD_MS = 2_000;

export interface HeldStep {
  plan: StepPlan;
  /** The stored record's ETag the held step was planned on: valid while the stored state is still that one. */
  etag: string;
}

/**
 * Whether the plan may wait for the next one: it takes nothing but results held in memory (a client's message is
 * answered at once), does nothing anyone else could see but the record's status fields, and the instance's next
 * step is due within HOLD_MS of `now` (its timer, or results of open activities).
 */
export function mayHold(snap: PartitionSnapshot, plan: StepPlan, now: number): boolean {
  const rec = plan.record;
  if (!rec || !snap.record || rec.status !== 'Running') return false;
  if (rec.nextWakeAt === undefined || rec.nextWakeAt === NO_WAKE || rec.nextWakeAt - now >= HOLD_MS) return false;
  if (plan.activities.length > 0 || plan.outbox.length > 0 || plan.failure !== undefined) return false;
  if (plan.outcome !== undefined && plan.outcome !== 'continuedAsNew') return false;
  // Consumed keys that are no stored row are results (or a continue-as-new's start message) held in memory.
  const storedRows = new Set(snap.inbox.filter((e) => !e.volatile).map((e) => e.rowKey));
  return !plan.consumed.some((key) => storedRows.has(key));
}

/** The execution a plan's history events belong to. */
const historyExecution = (plan: StepPlan, before: string | undefined): string | undefined => plan.historyExecutionId ?? before;

/**
 * The state the held step would have committed on top of `stored`: what the next plan starts from. The record keeps
 * the stored ETag and counters (the merged commit advances them once); rows the held step inserts are not stored
 * yet, so they are volatile here, and nothing is garbage yet that the stored state does not already call garbage.
 */
export function afterHeld(stored: PartitionSnapshot, held: StepPlan): PartitionSnapshot {
  const storedExecution = stored.record?.executionId;
  const record = held.record && stored.record ? { ...held.record, etag: stored.record.etag } : stored.record;
  const execution = record?.executionId;
  const consumed = new Set(held.consumed);
  const inserted: InboxEntry[] = held.inboxInserts.map((i) => ({ rowKey: i.rowKey, at: i.at, message: i.message, volatile: true }));
  const kept = stored.inbox.filter((e) => !consumed.has(e.rowKey));
  const heldEvents = historyExecution(held, storedExecution) === execution ? held.historyEvents : [];
  const sameExecution = execution === storedExecution;
  const next: PartitionSnapshot = {
    ...stored,
    history: sameExecution ? [...stored.history, ...heldEvents] : heldEvents,
    historyRows: sameExecution ? stored.historyRows : [],
    inbox: sortInbox([...kept, ...inserted.filter((i) => !kept.some((e) => e.rowKey === i.rowKey))]),
  };
  if (record) next.record = record;
  return next;
}

/**
 * The held step and the next one as ONE plan on top of the stored state: the history of the execution the record
 * ends in (a continue-as-new in either step makes the earlier execution's events garbage, never written).
 */
export function mergeHeld(held: StepPlan, next: StepPlan, storedExecutionId: string | undefined): StepPlan {
  const heldExecution = historyExecution(held, storedExecutionId);
  const nextExecution = historyExecution(next, held.record?.executionId ?? storedExecutionId);
  const record = next.record ?? held.record;
  const final = record?.executionId ?? nextExecution;
  const consumedNext = new Set(next.consumed);
  const insertedNext = new Set(next.inboxInserts.map((i) => i.rowKey));
  const plan: StepPlan = {
    historyEvents: [...(heldExecution === final ? held.historyEvents : []), ...(nextExecution === final ? next.historyEvents : [])],
    consumed: [...held.consumed, ...next.consumed],
    inputs: held.inputs + next.inputs,
    inboxInserts: [...held.inboxInserts.filter((i) => !consumedNext.has(i.rowKey) && !insertedNext.has(i.rowKey)), ...next.inboxInserts],
    outbox: [...held.outbox, ...next.outbox],
    activities: [...held.activities, ...next.activities],
  };
  if (record) plan.record = record;
  if (final !== undefined) plan.historyExecutionId = final;
  const outcome = next.outcome ?? held.outcome;
  if (outcome !== undefined) plan.outcome = outcome;
  if (next.failure !== undefined) plan.failure = next.failure;
  return plan;
}
