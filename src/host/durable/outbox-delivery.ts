/**
 * Delivery of a committed outbox row: sub-orchestration creations and results for the parent, written by idempotent
 * transactions into the target partition, then the row is deleted.
 */
import type { EngineContext } from './engine-context.js';
import { getText } from './chunked-text.js';
import { inboxEntity, startActions } from './inbox-rows.js';
import { recordFromRow } from './instance-row.js';
import { INSTANCE_ROW, partitionKeyOf, subResultKey } from './keys.js';
import { EventType, isTerminal, type EventBody, type InboxMessage, type OutboxMessage, type ParentRef } from './model.js';
import { ConflictError, type Row } from './table-store.js';

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

  private async deliverCreateSub(m: Extract<OutboxMessage, { type: 'createSub' }>): Promise<void> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const pk = partitionKeyOf(m.instanceId);
      const row = await this.ctx.bg.get(pk, INSTANCE_ROW);
      const existing = row ? recordFromRow(row) : undefined;
      if (existing && sameParent(existing.parent, m.parent)) break; // delivered before
      if (existing && !isTerminal(existing.status)) {
        await this.deliverToParent(m.parent, {
          EventType: EventType.SubOrchestrationInstanceFailed,
          TaskScheduledId: m.parent.taskId,
          Reason: `An instance with id ${m.instanceId} already exists and is not in a terminal state`,
          FailureDetails: { ErrorType: 'InstanceAlreadyExistsError', ErrorMessage: `An instance with id ${m.instanceId} already exists` },
        });
        return;
      }
      try {
        await this.ctx.bg.transact(startActions(this.ctx.clock, m.instanceId, m.name, m.input, this.ctx.clock.now(), existing, m.parent));
        break;
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
      }
    }
    this.ctx.requestStep(m.instanceId, 'all');
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
