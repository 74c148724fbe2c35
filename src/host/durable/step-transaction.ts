/** A step plan turned into ONE entity-group transaction, and whether it fits Azure Table Storage's limits. */
import type { TableEntity, TransactionAction } from '@azure/data-tables';
import { approxEntityBytes, putText, type EntityProps } from './chunked-text.js';
import { inboxEntity } from './inbox-rows.js';
import { rowFromRecord } from './instance-row.js';
import { historyRowKey, outboxRowKey } from './keys.js';
import type { InstanceRecord } from './model.js';
import type { PartitionSnapshot } from './partition-snapshot.js';
import type { StepPlan } from './step-plan.js';
import type { Row } from './table-store.js';
import type { HistoryEventJson } from './types.js';

/** Entity size (1 MiB) and transaction size (4 MiB) limits of Azure Table Storage, with headroom. */
const MAX_ENTITY_BYTES = 960_000;
const MAX_TRANSACTION_BYTES = 3_800_000;
/** History JSON per row, so that a row stays under the entity limit (UTF-16: 2 bytes a character). */
const HISTORY_ROW_CHARS = 400_000;
/** Operations in one entity-group transaction. */
const MAX_TRANSACTION_OPS = 100;

export interface BuiltStep {
  actions: TransactionAction[];
  outboxRow?: Row;
  /** Why the step does not fit one transaction, if it does not. */
  tooLarge?: string;
  /** It does not fit by operation count only (bytes would): never a reason to fail the orchestration. */
  tooManyOps?: boolean;
}

export function hasChanges(plan: StepPlan): boolean {
  return plan.consumed.length > 0 || plan.historyEvents.length > 0 || plan.inboxInserts.length > 0 || plan.outbox.length > 0;
}

export function buildTransaction(snap: PartitionSnapshot, plan: StepPlan): BuiltStep {
  const pk = snap.partitionKey;
  const actions: TransactionAction[] = [];
  const sized: EntityProps[] = [];
  let outboxRow: Row | undefined;
  if (plan.record && snap.record) {
    const rec: InstanceRecord = { ...plan.record };
    if (plan.historyEvents.length > 0) {
      const execution = plan.historyExecutionId ?? snap.record.executionId;
      const seq = rec.historySeq++;
      chunkEvents(plan.historyEvents).forEach((text, part) => {
        const entity: TableEntity<EntityProps> = { partitionKey: pk, rowKey: historyRowKey(execution, seq, part) };
        putText(entity, 'Events', text);
        actions.push(['create', entity]);
        sized.push(entity);
      });
    }
    if (plan.outbox.length > 0) {
      const entity: TableEntity<EntityProps> = { partitionKey: pk, rowKey: outboxRowKey(rec.outboxSeq++) };
      putText(entity, 'Msgs', JSON.stringify(plan.outbox));
      actions.push(['create', entity]);
      sized.push(entity);
      outboxRow = { ...entity, etag: '*' };
    }
    const row = rowFromRecord(rec);
    actions.unshift(['update', row, 'Replace', { etag: snap.record.etag }]);
    sized.push(row);
  }
  for (const insert of plan.inboxInserts) {
    const entity = inboxEntity(pk, insert.rowKey, insert.at, insert.message);
    actions.push(['create', entity]);
    sized.push(entity);
  }
  for (const rowKey of plan.consumed) actions.push(['delete', { partitionKey: pk, rowKey }]);
  // Garbage of earlier executions goes along while the transaction has room.
  for (const rowKey of snap.staleHistory) {
    if (actions.length >= MAX_TRANSACTION_OPS) break;
    actions.push(['delete', { partitionKey: pk, rowKey }]);
  }
  const biggest = Math.max(0, ...sized.map(approxEntityBytes));
  const total = sized.reduce((sum, e) => sum + approxEntityBytes(e), 0);
  const result: BuiltStep = { actions };
  if (outboxRow) result.outboxRow = outboxRow;
  if (biggest > MAX_ENTITY_BYTES) result.tooLarge = `a row of ${biggest} bytes`;
  else if (total > MAX_TRANSACTION_BYTES) result.tooLarge = `a transaction of ${total} bytes`;
  else if (actions.length > MAX_TRANSACTION_OPS) {
    result.tooLarge = `${actions.length} operations`;
    result.tooManyOps = true;
  }
  return result;
}

function chunkEvents(events: HistoryEventJson[]): string[] {
  const parts: string[] = [];
  let current: HistoryEventJson[] = [];
  let size = 2;
  for (const event of events) {
    const length = JSON.stringify(event).length + 1;
    if (current.length > 0 && size + length > HISTORY_ROW_CHARS) {
      parts.push(JSON.stringify(current));
      current = [];
      size = 2;
    }
    current.push(event);
    size += length;
  }
  if (current.length > 0) parts.push(JSON.stringify(current));
  return parts;
}
