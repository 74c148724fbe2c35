/**
 * Reads one instance's partition and sorts its rows into record, current history, inbox, outbox and garbage. A read
 * that takes several pages is checked against the instance row afterwards: a commit between two pages would pair the
 * new ETag with old history, so such a read is done again.
 */
import { getText } from '../../chunked-text.js';
import { executionOfHistoryRow, HISTORY_PREFIX, INBOX_PREFIX, INSTANCE_ROW, instanceIdOf, OUTBOX_PREFIX, partitionKeyOf } from '../../keys.js';
import { sortInbox, type InboxEntry, type InboxMessage, type OutboxMessage } from '../../model.js';
import type { HistoryEventJson } from '../../types.js';
import type { OutboxEntry, PartitionSnapshot } from '../hub-store.js';
import { recordFromRow } from './instance-row.js';
import type { HubTable, Row } from './table-store.js';

export function quote(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

const MAX_SNAPSHOT_ATTEMPTS = 5;

export async function readPartition(table: HubTable, instanceId: string): Promise<PartitionSnapshot> {
  const partitionKey = partitionKeyOf(instanceId);
  for (let attempt = 1; ; attempt++) {
    const { rows, pages } = await table.listPages(`PartitionKey eq ${quote(partitionKey)}`);
    const snap = sortRows(partitionKey, rows);
    if (pages <= 1 || attempt >= MAX_SNAPSHOT_ATTEMPTS) {
      if (pages > 1 && !(await sameRecord(table, snap))) throw new Error(`partition of ${instanceId} keeps changing while it is read`);
      return snap;
    }
    if (await sameRecord(table, snap)) return snap;
  }
}

/** The instance row is still the one the snapshot holds (no commit happened while the pages were read). */
async function sameRecord(table: HubTable, snap: PartitionSnapshot): Promise<boolean> {
  const now = await table.get(snap.partitionKey, INSTANCE_ROW);
  return now?.etag === snap.record?.etag;
}

/** The stored inbox of one partition alone (a targeted read after this process wrote a message there). */
export async function readInbox(table: HubTable, partitionKey: string): Promise<InboxEntry[]> {
  const rows = await table.list(`PartitionKey eq ${quote(partitionKey)} and RowKey ge ${quote(INBOX_PREFIX)} and RowKey lt ${quote(`${INBOX_PREFIX}~`)}`);
  return sortInbox(rows.map(inboxEntryOf));
}

function inboxEntryOf(row: Row): InboxEntry {
  return { rowKey: row.rowKey, at: Number(row.At ?? 0), message: JSON.parse(getText(row, 'Msg') ?? '{}') as InboxMessage };
}

function sortRows(partitionKey: string, rows: Row[]): PartitionSnapshot {
  const snap: PartitionSnapshot = { partitionKey, history: [], historyRows: [], inbox: [], outbox: [], staleHistory: [] };
  const instanceRow = rows.find((r) => r.rowKey === INSTANCE_ROW);
  if (instanceRow) snap.record = recordFromRow(instanceRow);
  for (const row of rows) {
    if (row.rowKey.startsWith(HISTORY_PREFIX)) {
      if (snap.record && executionOfHistoryRow(row.rowKey) === snap.record.executionId) {
        snap.history.push(...(JSON.parse(getText(row, 'Events') ?? '[]') as HistoryEventJson[]));
        snap.historyRows.push(row.rowKey);
      } else {
        snap.staleHistory.push(row.rowKey);
      }
    } else if (row.rowKey.startsWith(INBOX_PREFIX)) {
      snap.inbox.push(inboxEntryOf(row));
    } else if (row.rowKey.startsWith(OUTBOX_PREFIX)) {
      snap.outbox.push(outboxEntryOf(row));
    }
  }
  sortInbox(snap.inbox);
  return snap;
}

export function outboxEntryOf(row: Row): OutboxEntry {
  return { instanceId: instanceIdOf(row.partitionKey), rowKey: row.rowKey, messages: JSON.parse(getText(row, 'Msgs') ?? '[]') as OutboxMessage[] };
}
