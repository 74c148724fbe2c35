/** The `instance` row of a partition ⇄ InstanceRecord; the row's ETag is the instance's concurrency token. */
import type { TableEntity } from '@azure/data-tables';
import { getText, putText, type EntityProps } from '../../chunked-text.js';
import { INSTANCE_ROW } from '../../keys.js';
import type { HubLayout } from './hub-layout.js';
import { freshState, type EngineState, type InstanceRecord, type ParentRef } from '../../instance-state.js';
import type { Row } from './table-store.js';
import type { RuntimeStatus } from '../../wire-types.js';

export function recordFromRow(row: Row): InstanceRecord {
  const text = (name: string): string | undefined => getText(row, name);
  const parentText = text('Parent');
  const stateText = text('State');
  const record: InstanceRecord = {
    instanceId: String(row.InstanceId),
    name: String(row.Name),
    status: String(row.RuntimeStatus) as RuntimeStatus,
    executionId: String(row.ExecutionId),
    createdTime: Date.parse(String(row.CreatedTime)),
    lastUpdatedTime: Date.parse(String(row.LastUpdatedTime)),
    historySeq: Number(row.HistorySeq ?? 0),
    outboxSeq: Number(row.OutboxSeq ?? 0),
    state: stateText ? (JSON.parse(stateText) as EngineState) : freshState(),
    etag: row.etag,
  };
  const input = text('Input');
  const output = text('Output');
  const customStatus = text('CustomStatus');
  const failureDetails = text('FailureDetails');
  if (input !== undefined) record.input = input;
  if (output !== undefined) record.output = output;
  if (customStatus !== undefined) record.customStatus = customStatus;
  if (failureDetails !== undefined) record.failureDetails = failureDetails;
  if (typeof row.NextWakeAt === 'number') record.nextWakeAt = row.NextWakeAt;
  if (typeof row.StartToken === 'string') record.startToken = row.StartToken;
  if (parentText) record.parent = JSON.parse(parentText) as ParentRef;
  return record;
}

/** The instance row where and as the hub's layout keeps it (hub-layout.ts). */
export function rowFromRecord(record: InstanceRecord, layout: HubLayout): TableEntity<EntityProps> {
  const entity: TableEntity<EntityProps> = {
    partitionKey: layout.partitionOf(record.instanceId),
    rowKey: layout.rowKeyOf(record.instanceId, INSTANCE_ROW),
    InstanceId: record.instanceId,
    Name: record.name,
    RuntimeStatus: record.status,
    ExecutionId: record.executionId,
    // ISO strings compare in time order, so OData range filters on them work.
    CreatedTime: new Date(record.createdTime).toISOString(),
    LastUpdatedTime: new Date(record.lastUpdatedTime).toISOString(),
    HistorySeq: record.historySeq,
    OutboxSeq: record.outboxSeq,
  };
  if (record.nextWakeAt !== undefined) entity.NextWakeAt = record.nextWakeAt;
  if (record.startToken !== undefined) entity.StartToken = record.startToken;
  putText(entity, 'Input', record.input);
  putText(entity, 'Output', record.output);
  putText(entity, 'CustomStatus', record.customStatus);
  putText(entity, 'FailureDetails', record.failureDetails);
  putText(entity, 'Parent', record.parent ? JSON.stringify(record.parent) : undefined);
  putText(entity, 'State', JSON.stringify(record.state));
  return entity;
}
