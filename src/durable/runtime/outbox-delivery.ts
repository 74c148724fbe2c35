/**
 * Delivery of a committed outbox row: sub-orchestration creations and results for the parent, written by idempotent
 * transactions into the target partition, then the row is deleted.
 */
import type { EngineContext } from '../engine-context.js';
import { newExecution } from '../instance-start.js';
import { subResultKey } from '../keys.js';
import { EventType, isTerminal, type EventBody, type InboxMessage, type InstanceRecord, type OutboxMessage, type ParentRef } from '../instance-state.js';
import { ConflictError, StorageUnavailableError } from '../errors.js';
import { describe, isTransient } from '../store/storage-failures.js';
import type { OutboxEntry } from '../store/hub-store.js';

/** Conflicts on creating one child before the parent's task fails (each one means another writer won a race). */
const MAX_CREATE_CONFLICTS = 20;

export class OutboxDelivery {
  private readonly delivering = new Set<string>();

  constructor(private readonly ctx: EngineContext) {}

  /** This outbox row is being delivered by this process. */
  isDelivering(instanceId: string, rowKey: string): boolean {
    return this.delivering.has(`${instanceId}/${rowKey}`);
  }

  deliverOutbox(entry: OutboxEntry): void {
    const id = `${entry.instanceId}/${entry.rowKey}`;
    if (this.delivering.has(id) || !this.ctx.processing) return;
    this.delivering.add(id);
    this.ctx.track(
      (async () => {
        for (const m of entry.messages) {
          if (m.type === 'createSub') await this.deliverCreateSub(m);
          else await this.deliverToParent(m.parent, m.event);
        }
        await this.ctx.store.deleteRows(entry.instanceId, [entry.rowKey]);
      })().finally(() => this.delivering.delete(id)),
    );
  }

  /**
   * Creates the child instance (idempotent: a child already created for this parent task is left alone). It never
   * gives up silently: an id taken by a running instance, a creation the storage refuses for good (an id too long for
   * a key, say) or one that keeps conflicting fails the parent's task with the reason.
   */
  private async deliverCreateSub(m: Extract<OutboxMessage, { type: 'createSub' }>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      let existing: InstanceRecord | undefined;
      try {
        existing = await this.ctx.store.readInstance(m.instanceId);
        if (existing && sameParent(existing.parent, m.parent)) break; // delivered before
        if (existing && !isTerminal(existing.status)) {
          await this.failParentTask(m, 'InstanceAlreadyExistsError', `An instance with id ${m.instanceId} already exists and is not in a terminal state`);
          return;
        }
        const execution = newExecution(this.ctx.clock, m.instanceId, m.name, m.input, this.ctx.clock.now(), existing, m.parent);
        await this.ctx.store.startInstance(execution.record, execution.start, existing);
        break;
      } catch (err) {
        if (err instanceof ConflictError && attempt < MAX_CREATE_CONFLICTS) continue;
        if (!(err instanceof ConflictError) && (err instanceof StorageUnavailableError || isTransient(err))) throw err;
        const why = err instanceof ConflictError ? `its row kept changing (${attempt} conflicts)` : `the storage refused it: ${describe(err)}`;
        this.ctx.log.warn({ instanceId: m.instanceId, parent: m.parent.instanceId, reason: why }, 'durable: sub-orchestration not created');
        await this.failParentTask(m, 'SubOrchestrationCreationFailed', `Sub-orchestration ${m.instanceId} could not be created: ${why}`);
        return;
      }
    }
    this.ctx.requestStep(m.instanceId, 'all');
  }

  private async failParentTask(m: Extract<OutboxMessage, { type: 'createSub' }>, errorType: string, reason: string): Promise<void> {
    await this.deliverToParent(m.parent, {
      EventType: EventType.SubOrchestrationInstanceFailed,
      TaskScheduledId: m.parent.taskId,
      Reason: reason,
      FailureDetails: { ErrorType: errorType, ErrorMessage: reason },
    });
  }

  private async deliverToParent(parent: ParentRef, event: EventBody): Promise<void> {
    const message: InboxMessage = { type: 'event', executionId: parent.executionId, event };
    try {
      await this.ctx.store.insertMessage(parent.instanceId, { rowKey: subResultKey(parent.executionId, parent.taskId), at: this.ctx.clock.now(), message });
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
    }
    this.ctx.requestStep(parent.instanceId, 'inbox');
  }
}

function sameParent(a: ParentRef | undefined, b: ParentRef): boolean {
  return !!a && a.instanceId === b.instanceId && a.executionId === b.executionId && a.taskId === b.taskId;
}
