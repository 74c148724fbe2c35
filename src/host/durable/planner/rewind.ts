/**
 * Rewind of a Failed execution, as the extension's rewind does it: the failed task results (TaskFailed,
 * SubOrchestrationInstanceFailed) and the failed ExecutionCompleted are removed from the history, the status is
 * Running again, and the failed activities run again; a failed sub-orchestration was rewound by the same client call
 * and reports its result anew. The orchestrator then goes on as if the tasks had not failed.
 *
 * The execution continues under a NEW execution id with the rewritten history as its first history row: the old
 * rows become garbage of another execution (deleted by later steps), so history is never rewritten in place and a
 * long history needs no more operations than one step has. Late results for the old id are dropped as stale.
 */
import { EventType, type EventBody, type InboxEntry, type InstanceRecord } from '../model.js';
import { openTasks } from '../open-tasks.js';
import type { HistoryEventJson } from '../types.js';
import { cloneRecord, type StepPlan } from './plan.js';

const REMOVED: ReadonlySet<number> = new Set([EventType.TaskFailed, EventType.SubOrchestrationInstanceFailed, EventType.ExecutionCompleted]);

/** The history the rewound execution goes on from (the ExecutionStarted naming the new execution id). */
export function rewoundHistory(history: readonly HistoryEventJson[], executionId: string): HistoryEventJson[] {
  return history
    .filter((event) => !REMOVED.has(event.EventType))
    .map((event) => {
      if (event.EventType !== EventType.ExecutionStarted) return event;
      const instance = event.OrchestrationInstance as Record<string, unknown> | undefined;
      return instance ? { ...event, OrchestrationInstance: { ...instance, ExecutionId: executionId } } : event;
    });
}

/** The step that rewinds `record` (Failed) on `entry` (a rewind message): only that message is taken. */
export function rewind(plan: StepPlan, record: InstanceRecord, history: readonly HistoryEventJson[], entry: InboxEntry, now: number): StepPlan {
  const m = entry.message;
  if (m.type !== 'rewind') throw new Error('rewind: not a rewind message');
  const rec = cloneRecord(record);
  rec.executionId = m.executionId;
  if (rec.parent && m.parentExecutionId !== undefined) rec.parent = { ...rec.parent, executionId: m.parentExecutionId };
  rec.status = 'Running';
  delete rec.output;
  delete rec.failureDetails;
  rec.lastUpdatedTime = now;
  plan.record = rec;
  plan.historyExecutionId = rec.executionId;
  plan.historyEvents = rewoundHistory(history, rec.executionId);
  plan.consumed.push(entry.rowKey);
  plan.inputs++;
  for (const [taskId, scheduled] of openTasks(plan.historyEvents as EventBody[]).activities) {
    const work = { instanceId: rec.instanceId, executionId: rec.executionId, taskId, name: String(scheduled.Name) };
    plan.activities.push(typeof scheduled.Input === 'string' ? { ...work, input: scheduled.Input } : work);
  }
  plan.outcome = 'rewound';
  return plan;
}
