/** Rows written into an instance's inbox: a message entity, and the transaction that (re)creates an instance. */
import { randomUUID } from 'node:crypto';
import type { TableEntity, TransactionAction } from '@azure/data-tables';
import type { Clock } from '../clock.js';
import { putText, type EntityProps } from './chunked-text.js';
import { rowFromRecord } from './instance-row.js';
import { partitionKeyOf, startMessageKey } from './keys.js';
import { freshState, type InboxEntry, type InboxMessage, type InstanceRecord, type ParentRef } from './model.js';

export function inboxEntity(partitionKey: string, rowKey: string, at: number, message: InboxMessage): TableEntity<EntityProps> {
  const entity: TableEntity<EntityProps> = { partitionKey, rowKey, At: at };
  putText(entity, 'Msg', JSON.stringify(message));
  return entity;
}

/** The transaction that (re)creates an instance, and what it stores: the record and its start message. */
export interface StartRows {
  actions: TransactionAction[];
  record: InstanceRecord;
  start: InboxEntry;
}

/** The transaction that (re)creates an instance: its row (insert, or replace by ETag) and its start message. */
export function startRows(
  clock: Clock,
  instanceId: string,
  name: string,
  input: string | undefined,
  at: number,
  existing: InstanceRecord | undefined,
  parent?: ParentRef,
): StartRows {
  const now = clock.now();
  const executionId = randomUUID().replace(/-/g, '');
  const record: InstanceRecord = {
    instanceId,
    name,
    status: 'Pending',
    executionId,
    createdTime: now,
    lastUpdatedTime: now,
    historySeq: existing?.historySeq ?? 0,
    outboxSeq: existing?.outboxSeq ?? 0,
    state: freshState(),
    etag: '*',
    nextWakeAt: at,
  };
  if (input !== undefined) record.input = input;
  if (parent) record.parent = parent;
  const pk = partitionKeyOf(instanceId);
  const message: InboxMessage = { type: 'start', executionId, name, ...(input !== undefined ? { input } : {}), ...(parent ? { parent } : {}) };
  const row = rowFromRecord(record);
  const start: InboxEntry = { rowKey: startMessageKey(executionId), at, message };
  return {
    actions: [existing ? ['update', row, 'Replace', { etag: existing.etag }] : ['create', row], ['create', inboxEntity(pk, start.rowKey, at, message)]],
    record,
    start,
  };
}

export function startActions(
  clock: Clock,
  instanceId: string,
  name: string,
  input: string | undefined,
  at: number,
  existing: InstanceRecord | undefined,
  parent?: ParentRef,
): TransactionAction[] {
  return startRows(clock, instanceId, name, input, at, existing, parent).actions;
}
