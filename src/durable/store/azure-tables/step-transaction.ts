/** A step plan turned into ONE entity-group transaction, and whether it fits Azure Table Storage's limits. */
import type { TableEntity, TransactionAction } from '@azure/data-tables';
import { approxEntityBytes, putText, wireBytes, type EntityProps } from '../../chunked-text.js';
import { entityJson, type EntityTexts } from './batch-wire.js';
import { inboxEntity } from './inbox-rows.js';
import { rowFromRecord } from './instance-row.js';
import type { HubLayout } from './hub-layout.js';
import { historyRowKey, outboxRowKey } from '../../keys.js';
import type { InstanceRecord } from '../../instance-state.js';
import type { PartitionSnapshot, PreparedStep } from '../hub-store.js';
import { instanceIdOf } from '../../keys.js';
import type { StepPlan } from '../../planner/step-plan.js';
import { HISTORY_ROW_UNITS, MAX_ENTITY_BYTES, TRANSACTION_OP_OVERHEAD_BYTES, MAX_TRANSACTION_BYTES, MAX_TRANSACTION_OPS } from '../../storage-limits.js';
import type { HistoryEventJson } from '../../wire-types.js';


/** A prepared step with the transaction that commits it. */
export interface BuiltStep extends PreparedStep {
  actions: TransactionAction[];
  /** The JSON body of each entity written, made once while sizing the step and sent as it is. */
  texts: EntityTexts;
  instanceId: string;
  /** The partition it writes (its instance's; a group commit joins steps of one partition). */
  partition: string;
  /** The request bytes it adds to a transaction. */
  bytes: number;
}

/**
 * Moves large properties of the rows written out of them (large-payloads.ts) before they are sized: `instanceRow` is
 * the instance row among `entities`, if the step writes it.
 */
export type OffloadRows = (entities: EntityProps[], instanceRow?: EntityProps) => void;

export function buildTransaction(snap: PartitionSnapshot, plan: StepPlan, layout: HubLayout, offload?: OffloadRows): BuiltStep {
  const instanceId = instanceIdOf(snap.partitionKey);
  const pk = layout.partitionOf(instanceId);
  const key = (logical: string): string => layout.rowKeyOf(instanceId, logical);
  const actions: TransactionAction[] = [];
  const sized: EntityProps[] = [];
  const texts = new Map<object, string>();
  const result: BuiltStep = { actions, texts, instanceId, partition: pk, bytes: 0, historyRows: [], deletedHistory: [], operations: 0 };
  let stale = snap.staleHistory;
  let instanceRow: EntityProps | undefined;
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
        const rowKey = historyRowKey(execution, seq, part);
        const entity: TableEntity<EntityProps> = { partitionKey: pk, rowKey: key(rowKey) };
        result.historyRows.push(rowKey);
        putText(entity, 'Events', text);
        actions.push(['create', entity]);
        sized.push(entity);
      });
    }
    if (plan.outbox.length > 0) {
      const rowKey = outboxRowKey(rec.outboxSeq++);
      const entity: TableEntity<EntityProps> = { partitionKey: pk, rowKey: key(rowKey) };
      putText(entity, 'Msgs', JSON.stringify(plan.outbox));
      actions.push(['create', entity]);
      sized.push(entity);
      result.outbox = { instanceId, rowKey, messages: plan.outbox };
    }
    const row = rowFromRecord(rec, layout);
    instanceRow = row;
    actions.unshift(['update', row, 'Replace', { etag: snap.record.etag }]);
    sized.push(row);
  }
  for (const insert of plan.inboxInserts) {
    const entity = inboxEntity(layout, instanceId, insert.rowKey, insert.at, insert.message);
    actions.push(['create', entity]);
    sized.push(entity);
  }
  // Only stored rows are deleted: a message held in memory (an activity result, the start of a new execution run in
  // this same commit) has no row.
  const storedRows = new Set(snap.inbox.filter((e) => !e.volatile).map((e) => e.rowKey));
  for (const rowKey of plan.consumed) if (storedRows.has(rowKey)) actions.push(['delete', { partitionKey: pk, rowKey: key(rowKey) }]);
  // Garbage of earlier executions goes along while the transaction has room.
  for (const rowKey of stale) {
    if (actions.length >= MAX_TRANSACTION_OPS) break;
    actions.push(['delete', { partitionKey: pk, rowKey: key(rowKey) }]);
    result.deletedHistory.push(rowKey);
  }
  offload?.(sized, instanceRow);
  const biggest = Math.max(0, ...sized.map(approxEntityBytes));
  // The entity limit counts UTF-16 units; the transaction limit counts the request body's UTF-8 bytes on the wire.
  const total = sized.reduce((sum, e) => sum + wireBytes(e, wireText(e, texts)), 0) + actions.length * TRANSACTION_OP_OVERHEAD_BYTES;
  result.operations = actions.length;
  result.bytes = total;
  if (biggest > MAX_ENTITY_BYTES) result.tooLarge = `a row of ${biggest} bytes`;
  else if (total > MAX_TRANSACTION_BYTES) result.tooLarge = `a transaction of ${total} bytes`;
  else if (actions.length > MAX_TRANSACTION_OPS) {
    result.tooLarge = `${actions.length} operations`;
    result.tooManyOps = true;
  }
  return result;
}

/**
 * The entity's JSON body as the batch sends it, kept in `texts` (the same properties as JSON.stringify of the entity,
 * so the same byte count). An entity the wire refuses is sized as before and fails when the batch is built.
 */
function wireText(entity: EntityProps, texts: Map<object, string>): string {
  try {
    const text = entityJson(entity);
    texts.set(entity, text);
    return text;
  } catch {
    return JSON.stringify(entity);
  }
}

/** The events as JSON arrays of at most HISTORY_ROW_UNITS units each; each event is serialised once. */
function chunkEvents(events: HistoryEventJson[]): string[] {
  const parts: string[] = [];
  let current: string[] = [];
  let size = 2;
  for (const event of events) {
    const text = JSON.stringify(event);
    const length = text.length + 1;
    if (current.length > 0 && size + length > HISTORY_ROW_UNITS) {
      parts.push(`[${current.join(',')}]`);
      current = [];
      size = 2;
    }
    current.push(text);
    size += length;
  }
  if (current.length > 0) parts.push(`[${current.join(',')}]`);
  return parts;
}
