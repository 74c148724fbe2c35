/** Rows written into an instance's inbox: a message entity, and the transaction that (re)creates an instance. */
import type { TableEntity, TransactionAction } from '@azure/data-tables';
import { putText, type EntityProps } from '../../chunked-text.js';
import type { NewExecution } from '../../instance-start.js';
import type { InboxMessage, InstanceRecord } from '../../instance-state.js';
import { rowFromRecord } from './instance-row.js';
import type { HubLayout } from './hub-layout.js';

/** The message `rowKey` (its logical key) of the instance, where the hub's layout keeps it. */
export function inboxEntity(layout: HubLayout, instanceId: string, rowKey: string, at: number, message: InboxMessage): TableEntity<EntityProps> {
  const entity: TableEntity<EntityProps> = { partitionKey: layout.partitionOf(instanceId), rowKey: layout.rowKeyOf(instanceId, rowKey), At: at };
  putText(entity, 'Msg', JSON.stringify(message));
  return entity;
}

/**
 * The transaction that (re)creates an instance: its row (insert, or replace by ETag) and its start message. Tests write
 * instances with it directly: `startTransaction(newExecution(...), layout)`.
 */
export function startTransaction({ record, start }: NewExecution, layout: HubLayout, replacing?: InstanceRecord): TransactionAction[] {
  const row = rowFromRecord(record, layout);
  return [
    replacing ? ['update', row, 'Replace', { etag: replacing.etag }] : ['create', row],
    ['create', inboxEntity(layout, record.instanceId, start.rowKey, start.at, start.message)],
  ];
}
