/**
 * Delivery of a committed outbox row: sub-orchestration creations and results for the parent, written by idempotent
 * transactions into the target partition, then the row is deleted.
 */
import type { EngineContext } from './engine-context.js';
import { getText } from './chunked-text.js';
import { inboxEntity, startActions } from './inbox-rows.js';
import { recordFromRow } from './instance-row.js';
import { INSTANCE_ROW, partitionKeyOf, subResultKey } from './keys.js';
import { EventType, isTerminal, type EventBody, type InboxMessage, type InstanceRecord, type OutboxMessage, type ParentRef } from './model.js';
import { ConflictError, describe, isTransient, StorageUnavailableError, type Row } from './table-store.js';

/** Conflicts on creating one child before the parent's task fails (each one means another writer won a race). */
const MAX_CREATE_CONFLICTS = 20;

export class OutboxDelivery {
  private readonly delivering = new Set<string>();

  constructor(private readonly ctx: EngineContext) {}

  /** This outbox row is being delivered by this process. */
  isDelivering(partitionKey: string, rowKey: string): boolean {
    return this.delivering.has(`${partitionKey}/${rowKey}`);
  }

  deliverOutbox(row: Row): void {
    const id = `${row.partitionKey}/${row.rowKey}`;
    if (this.delivering.has(id) || !this.ctx.processing) return;
    this.delivering.add(id);
    this.ctx.track(
      (async () => {
        const messages = JSON.parse(getText(row, 'Msgs') ?? '[]') as OutboxMessage[];
        for (const m of messages) {
          if (m.type === 'createSub') await this.deliverCreateSub(m);
          else await this.deliverToParent(m.parent, m.event);
        }
        await this.ctx.bg.deleteRows(row.partitionKey, [row.rowKey]);
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
      const pk = partitionKeyOf(m.instanceId);
      let existing: InstanceRecord | undefined;
      try {
        const row = await this.ctx.bg.get(pk, INSTANCE_ROW);
        existing = row ? recordFromRow(row) : undefined;
        if (existing && sameParent(existing.parent, m.parent)) break; // delivered before
        if (existing && !isTerminal(existing.status)) {
          await this.failParentTask(m, 'InstanceAlreadyExistsError', `An instance with id ${m.instanceId} already exists and is not in a terminal state`);
          return;
        }
        await this.ctx.bg.transact(startActions(this.ctx.clock, m.instanceId, m.name, m.input, this.ctx.clock.now(), existing, m.parent));
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
      await this.ctx.bg.transact([['create', inboxEntity(partitionKeyOf(parent.instanceId), subResultKey(parent.executionId, parent.taskId), this.ctx.clock.now(), message)]]);
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
    }
    this.ctx.requestStep(parent.instanceId, 'inbox');
  }
}

function sameParent(a: ParentRef | undefined, b: ParentRef): boolean {
  return !!a && a.instanceId === b.instanceId && a.executionId === b.executionId && a.taskId === b.taskId;
}
