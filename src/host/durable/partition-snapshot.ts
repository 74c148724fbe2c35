/** Reads one instance's partition and sorts its rows into record, current history, inbox, outbox and garbage. */
import { getText } from './chunked-text.js';
import { recordFromRow } from './instance-row.js';
import { executionOfHistoryRow, HISTORY_PREFIX, INBOX_PREFIX, INSTANCE_ROW, OUTBOX_PREFIX, partitionKeyOf } from './keys.js';
import type { InboxEntry, InboxMessage, InstanceRecord } from './model.js';
import type { HubTable, Row } from './table-store.js';
import type { HistoryEventJson } from './types.js';

export interface PartitionSnapshot {
  partitionKey: string;
  record?: InstanceRecord;
  history: HistoryEventJson[];
  inbox: InboxEntry[];
  outbox: Row[];
  /** History rows of executions other than the current one (after continue-as-new or a restart). */
  staleHistory: string[];
}

export function quote(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

export async function readPartition(table: HubTable, instanceId: string): Promise<PartitionSnapshot> {
  const partitionKey = partitionKeyOf(instanceId);
  const rows = await table.list(`PartitionKey eq ${quote(partitionKey)}`);
  const snap: PartitionSnapshot = { partitionKey, history: [], inbox: [], outbox: [], staleHistory: [] };
  const instanceRow = rows.find((r) => r.rowKey === INSTANCE_ROW);
  if (instanceRow) snap.record = recordFromRow(instanceRow);
  for (const row of rows) {
    if (row.rowKey.startsWith(HISTORY_PREFIX)) {
      if (snap.record && executionOfHistoryRow(row.rowKey) === snap.record.executionId) {
        snap.history.push(...(JSON.parse(getText(row, 'Events') ?? '[]') as HistoryEventJson[]));
      } else {
        snap.staleHistory.push(row.rowKey);
      }
    } else if (row.rowKey.startsWith(INBOX_PREFIX)) {
      snap.inbox.push({ rowKey: row.rowKey, at: Number(row.At ?? 0), message: JSON.parse(getText(row, 'Msg') ?? '{}') as InboxMessage });
    } else if (row.rowKey.startsWith(OUTBOX_PREFIX)) {
      snap.outbox.push(row);
    }
  }
  snap.inbox.sort((a, b) => a.at - b.at || (a.rowKey < b.rowKey ? -1 : a.rowKey > b.rowKey ? 1 : 0));
  return snap;
}
