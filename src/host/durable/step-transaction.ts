/** A step plan turned into ONE entity-group transaction, and whether it fits Azure Table Storage's limits. */
import type { TableEntity, TransactionAction } from '@azure/data-tables';
import { approxEntityBytes, putText, wireBytes, type EntityProps } from './chunked-text.js';
import { inboxEntity } from './inbox-rows.js';
import { rowFromRecord } from './instance-row.js';
import { historyRowKey, outboxRowKey } from './keys.js';
import type { InstanceRecord } from './model.js';
import type { PartitionSnapshot } from './partition-snapshot.js';
import type { StepPlan } from './step-plan.js';
import { HISTORY_ROW_UNITS, MAX_ENTITY_BYTES, TRANSACTION_OP_OVERHEAD_BYTES, MAX_TRANSACTION_BYTES, MAX_TRANSACTION_OPS } from './storage-limits.js';
import type { Row } from './table-store.js';
import type { HistoryEventJson } from './types.js';


export interface BuiltStep {
  actions: TransactionAction[];
  /** The instance record as written (counters advanced); its ETag is the one the commit was guarded by. */
  record?: InstanceRecord;
  /** Row keys of the history rows written (all of the record's current execution). */
  historyRows: string[];
  /** History rows of other executions this commit deletes. */
  deletedHistory: string[];
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
  const result: BuiltStep = { actions, historyRows: [], deletedHistory: [] };
  let outboxRow: Row | undefined;
  let stale = snap.staleHistory;
  if (plan.record && snap.record) {
    const rec: InstanceRecord = { ...plan.record };
    result.record = rec;
    // A continue-as-new run in this commit: the old execution's rows are garbage from now on.
    if (rec.executionId !== snap.record.executionId) stale = [...snap.historyRows, ...stale];
    // History of an execution that already ended in this commit (continued as new) is garbage: not written.
    const execution = plan.historyExecutionId ?? snap.record.executionId;
    if (plan.historyEvents.length > 0 && execution === rec.executionId) {
      const seq = rec.historySeq++;
      chunkEvents(plan.historyEvents).forEach((text, part) => {
        const entity: TableEntity<EntityProps> = { partitionKey: pk, rowKey: historyRowKey(execution, seq, part) };
        result.historyRows.push(entity.rowKey);
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
  // Only stored rows are deleted: a message held in memory (an activity result, the start of a new execution run in
  // this same commit) has no row.
  const storedRows = new Set(snap.inbox.filter((e) => !e.volatile).map((e) => e.rowKey));
  for (const rowKey of plan.consumed) if (storedRows.has(rowKey)) actions.push(['delete', { partitionKey: pk, rowKey }]);
  // Garbage of earlier executions goes along while the transaction has room.
  for (const rowKey of stale) {
    if (actions.length >= MAX_TRANSACTION_OPS) break;
    actions.push(['delete', { partitionKey: pk, rowKey }]);
    result.deletedHistory.push(rowKey);
  }
  const biggest = Math.max(0, ...sized.map(approxEntityBytes));
  // The entity limit counts UTF-16 units; the transaction limit counts the request body's UTF-8 bytes on the wire.
  const total = sized.reduce((sum, e) => sum + wireBytes(e), 0) + actions.length * TRANSACTION_OP_OVERHEAD_BYTES;
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
    if (current.length > 0 && size + length > HISTORY_ROW_UNITS) {
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
