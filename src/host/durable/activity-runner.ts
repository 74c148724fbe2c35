/**
 * Running activities (at least once, a bounded number at once) and recording each result once: the result row's key
 * is deterministic, so a second run of the same task collides with the first result instead of adding another.
 */
import type { EngineContext } from './engine-context.js';
import { inboxEntity } from './inbox-rows.js';
import { partitionKeyOf, taskResultKey } from './keys.js';
import { EventType, type EventBody, type InboxMessage } from './model.js';
import type { PartitionSnapshot } from './partition-snapshot.js';
import { Semaphore } from './semaphore.js';
import { openTasks } from './open-tasks.js';
import type { ActivityWork } from './step-plan.js';
import { ConflictError } from './table-store.js';

export class ActivityRunner {
  private readonly activitySlots: Semaphore;
  private readonly inFlight = new Map<string, Promise<void>>();
  /** Activity results written but maybe not yet seen in history, per instance: never dispatch those again. */
  private readonly recorded = new Map<string, Set<string>>();

  constructor(
    private readonly ctx: EngineContext,
    maxConcurrentActivities: number,
  ) {
    this.activitySlots = new Semaphore(maxConcurrentActivities);
  }

  private activityKey(work: Pick<ActivityWork, 'instanceId' | 'executionId' | 'taskId'>): string {
    return `${work.executionId}|${work.taskId}`;
  }

  forgetRecorded(instanceId: string, snap: PartitionSnapshot): void {
    const keys = this.recorded.get(instanceId);
    if (!keys) return;
    const rec = snap.record;
    const open = rec ? openTasks(snap.history).activities : new Map<number, EventBody>();
    for (const key of keys) {
      const [execution, task] = key.split('|');
      if (!rec || execution !== rec.executionId || !open.has(Number(task))) keys.delete(key);
    }
    if (keys.size === 0) this.recorded.delete(instanceId);
  }

  dispatchActivity(work: ActivityWork): void {
    if (!this.ctx.processing || this.ctx.abandoned) return;
    const key = `${work.instanceId}#${this.activityKey(work)}`;
    if (this.inFlight.has(key) || this.recorded.get(work.instanceId)?.has(this.activityKey(work))) return;
    const run = this.runActivity(work).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, run);
    this.ctx.track(run);
  }

  private async runActivity(work: ActivityWork): Promise<void> {
    const release = await this.activitySlots.acquire();
    let event: EventBody;
    try {
      if (this.ctx.stopping) return;
      const invoker = this.ctx.options.invoker;
      if (!invoker.hasActivity(work.name)) {
        const message = `The function '${work.name}' doesn't exist, is disabled, or is not an activity function.`;
        event = taskFailed(work.taskId, { name: 'Error', message });
      } else {
        try {
          const input = work.input === undefined ? undefined : (JSON.parse(work.input) as unknown);
          const result = await invoker.invokeActivity(work.name, input, { instanceId: work.instanceId, taskId: work.taskId });
          event = { EventType: EventType.TaskCompleted, TaskScheduledId: work.taskId, Result: JSON.stringify(result === undefined ? null : result) };
        } catch (err) {
          const e = err instanceof Error ? err : new Error(String(err));
          event = taskFailed(work.taskId, e);
        }
      }
    } finally {
      release();
    }
    if (this.ctx.abandoned) return;
    const message: InboxMessage = { type: 'event', executionId: work.executionId, event };
    const rowKey = taskResultKey(work.executionId, work.taskId);
    try {
      await this.ctx.bg.transact([['create', inboxEntity(partitionKeyOf(work.instanceId), rowKey, this.ctx.clock.now(), message)]]);
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      // Already recorded by an earlier run of the same task: recorded once.
    }
    let keys = this.recorded.get(work.instanceId);
    if (!keys) this.recorded.set(work.instanceId, (keys = new Set()));
    keys.add(this.activityKey(work));
    this.ctx.requestStep(work.instanceId);
  }
}

function taskFailed(taskId: number, error: { name: string; message: string; stack?: string }): EventBody {
  const failureDetails: Record<string, unknown> = { ErrorType: error.name || 'Error', ErrorMessage: error.message };
  if (error.stack) failureDetails.StackTrace = error.stack;
  return {
    EventType: EventType.TaskFailed,
    TaskScheduledId: taskId,
    Reason: error.message,
    Details: error.stack ?? '',
    FailureDetails: failureDetails,
  };
}
