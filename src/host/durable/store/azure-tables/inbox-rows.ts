/** Rows written into an instance's inbox: a message entity, and the transaction that (re)creates an instance. */
import type { TableEntity, TransactionAction } from '@azure/data-tables';
import type { Clock } from '../../../clock.js';
import { putText, type EntityProps } from '../../chunked-text.js';
import { newExecution } from '../../instance-start.js';
import { partitionKeyOf } from '../../keys.js';
import type { InboxEntry, InboxMessage, InstanceRecord, ParentRef } from '../../model.js';
import { rowFromRecord } from './instance-row.js';

export function inboxEntity(partitionKey: string, rowKey: string, at: number, message: InboxMessage): TableEntity<EntityProps> {
  const entity: TableEntity<EntityProps> = { partitionKey, rowKey, At: at };
  putText(entity, 'Msg', JSON.stringify(message));
  return entity;
}

/** The transaction that (re)creates an instance: its row (insert, or replace by ETag) and its start message. */
export function startTransaction(record: InstanceRecord, start: InboxEntry, replacing?: InstanceRecord): TransactionAction[] {
  const row = rowFromRecord(record);
  return [
    replacing ? ['update', row, 'Replace', { etag: replacing.etag }] : ['create', row],
    ['create', inboxEntity(partitionKeyOf(record.instanceId), start.rowKey, start.at, start.message)],
  ];
}

/** A new execution's transaction in one call (tests write instances with it directly). */
export function startActions(
  clock: Clock,
  instanceId: string,
  name: string,
  input: string | undefined,
  at: number,
  existing: InstanceRecord | undefined,
  parent?: ParentRef,
): TransactionAction[] {
  const { record, start } = newExecution(clock, instanceId, name, input, at, existing, parent);
  return startTransaction(record, start, existing);
}
