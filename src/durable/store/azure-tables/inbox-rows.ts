/** Rows written into an instance's inbox: a message entity, and the transaction that (re)creates an instance. */
import type { TableEntity, TransactionAction } from '@azure/data-tables';
import { putText, type EntityProps } from '../../chunked-text.js';
import type { NewExecution } from '../../instance-start.js';
import { partitionKeyOf } from '../../keys.js';
import type { InboxMessage, InstanceRecord } from '../../instance-state.js';
import { rowFromRecord } from './instance-row.js';

export function inboxEntity(partitionKey: string, rowKey: string, at: number, message: InboxMessage): TableEntity<EntityProps> {
  const entity: TableEntity<EntityProps> = { partitionKey, rowKey, At: at };
  putText(entity, 'Msg', JSON.stringify(message));
  return entity;
}

/**
 * The transaction that (re)creates an instance: its row (insert, or replace by ETag) and its start message. Tests write
 * instances with it directly: `startTransaction(newExecution(...), keys.of(partitionKey))`.
 */
export function startTransaction({ record, start }: NewExecution, instanceRowKey: string, replacing?: InstanceRecord): TransactionAction[] {
  const row = rowFromRecord(record, instanceRowKey);
  return [
    replacing ? ['update', row, 'Replace', { etag: replacing.etag }] : ['create', row],
    ['create', inboxEntity(partitionKeyOf(record.instanceId), start.rowKey, start.at, start.message)],
  ];
}
