/**
 * Running activities (at least once, a bounded number at once). Each result goes to the instance's next step in
 * memory; the step records it once (a duplicate result finds its task no longer open and is dropped).
 */
import type { EngineContext } from '../engine-context.js';
import { taskResultKey } from '../keys.js';
import { EventType, type EventBody, type InboxEntry, type InboxMessage } from '../instance-state.js';
import { Semaphore } from './semaphore.js';
import type { ActivityWork } from '../planner/step-plan.js';

export class ActivityRunner {
  private readonly activitySlots: Semaphore;
  private readonly inFlight = new Map<string, Promise<void>>();

  /** `onResult` hands the result to the instance's next step (StepRunner.addResult). */
  constructor(
    private readonly ctx: EngineContext,
    maxConcurrentActivities: number,
    private readonly onResult: (instanceId: string, entry: InboxEntry) => void,
  ) {
    this.activitySlots = new Semaphore(maxConcurrentActivities);
  }

  dispatchActivity(work: ActivityWork): void {
    if (!this.ctx.processing || this.ctx.abandoned) return;
    const key = `${work.instanceId}#${work.executionId}|${work.taskId}`;
    if (this.inFlight.has(key)) return;
    const run = this.runActivity(work).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, run);
    this.ctx.track(run);
  }

  private async runActivity(work: ActivityWork): Promise<void> {
    const release = await this.activitySlots.acquire();
    let event: EventBody;
    try {
      // Waiting for a slot can outlast the lease (a frozen process, a long queue): ask again before the effect.
      if (!this.ctx.processing || this.ctx.abandoned) return;
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
    // No row of its own: the result goes into the instance's next commit. A crash before that commit loses it, and the
    // activity runs again (at least once; the task id, hence the delivery's event id, is the same).
    const message: InboxMessage = { type: 'event', executionId: work.executionId, event };
    this.onResult(work.instanceId, { rowKey: taskResultKey(work.executionId, work.taskId), at: this.ctx.clock.now(), message });
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
