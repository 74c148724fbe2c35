/**
 * Reads one instance's partition and sorts its rows into record, current history, inbox, outbox and garbage. A read
 * that takes several pages is checked against the instance row afterwards: a commit between two pages would pair the
 * new ETag with old history, so such a read is done again.
 */
import { getText } from '../../chunked-text.js';
import { executionOfHistoryRow, HISTORY_PREFIX, INBOX_PREFIX, instanceIdOf, OUTBOX_PREFIX, partitionKeyOf } from '../../keys.js';
import type { InstanceRowKeys } from './instance-row-key.js';
import type { LargePayloads } from './large-payloads.js';
import { sortInbox, type InboxEntry, type InboxMessage, type OutboxMessage } from '../../instance-state.js';
import type { HistoryEventJson } from '../../wire-types.js';
import type { OutboxEntry, PartitionSnapshot } from '../hub-store.js';
import { recordFromRow } from './instance-row.js';
import type { HubTable, Row } from './table-store.js';

export function quote(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

const MAX_SNAPSHOT_ATTEMPTS = 5;

/**
 * Puts large payloads back into one partition's rows as read (large-payloads.ts). History rows of other executions
 * than the instance row's are garbage nobody parses: their blobs are not fetched.
 */
export async function resolvePartition(payloads: LargePayloads | undefined, rows: Row[], keys: InstanceRowKeys): Promise<void> {
  if (!payloads) return;
  const current = rows.find((r) => keys.is(r.rowKey))?.ExecutionId;
  await payloads.resolve(
    (row) => instanceIdOf(row.partitionKey),
    rows,
    (row) => keys.is(row.rowKey),
    (row) => !row.rowKey.startsWith(HISTORY_PREFIX) || (typeof current === 'string' && executionOfHistoryRow(row.rowKey) === current),
  );
}

export async function readPartition(table: HubTable, instanceId: string, keys: InstanceRowKeys, payloads?: LargePayloads): Promise<PartitionSnapshot> {
  const partitionKey = partitionKeyOf(instanceId);
  for (let attempt = 1; ; attempt++) {
    const { rows, pages } = await table.listPages(`PartitionKey eq ${quote(partitionKey)}`);
    await resolvePartition(payloads, rows, keys);
    const snap = sortRows(partitionKey, rows, keys);
    if (pages <= 1 || attempt >= MAX_SNAPSHOT_ATTEMPTS) {
      if (pages > 1 && !(await sameRecord(table, snap, keys))) throw new Error(`partition of ${instanceId} keeps changing while it is read`);
      return snap;
    }
    if (await sameRecord(table, snap, keys)) return snap;
  }
}

/** The instance row is still the one the snapshot holds (no commit happened while the pages were read). */
async function sameRecord(table: HubTable, snap: PartitionSnapshot, keys: InstanceRowKeys): Promise<boolean> {
  const now = await table.get(snap.partitionKey, keys.of(snap.partitionKey));
  return now?.etag === snap.record?.etag;
}

/** The most rows the service returns in one page. */
const SCAN_PAGE_ROWS = 1_000;

/**
 * Every partition of the table from one scan in key order (a page at a time, so a big hub is never held in memory at
 * once). A partition whose rows straddle two pages is left out: a commit between the two reads could pair a new
 * ETag with old history, which a one-page read cannot.
 */
export async function scanPartitions(
  table: HubTable,
  visit: (snap: PartitionSnapshot) => void,
  keys: InstanceRowKeys,
  pageRows = SCAN_PAGE_ROWS,
  payloads?: LargePayloads,
): Promise<void> {
  let pending: { partitionKey: string; rows: Row[] } | undefined; // the last partition of a page: may go on
  let straddling: string | undefined;
  const emit = async (group: { partitionKey: string; rows: Row[] }): Promise<void> => {
    await resolvePartition(payloads, group.rows, keys);
    const snap = sortRows(group.partitionKey, group.rows, keys);
    if (snap.record) visit(snap);
  };
  let token: string | undefined;
  do {
    const page = await table.page(undefined, pageRows, token);
    const groups = groupByPartition(page.rows);
    for (const [i, group] of groups.entries()) {
      const continues = i === 0 && (pending?.partitionKey === group.partitionKey || straddling === group.partitionKey);
      if (i === 0 && pending && !continues) await emit(pending);
      if (i === 0) pending = undefined;
      if (continues) {
        straddling = group.partitionKey;
        continue;
      }
      if (i === groups.length - 1) pending = group;
      else await emit(group);
    }
    token = page.continuationToken;
  } while (token);
  if (pending && pending.partitionKey !== straddling) await emit(pending);
}

function groupByPartition(rows: Row[]): { partitionKey: string; rows: Row[] }[] {
  const groups: { partitionKey: string; rows: Row[] }[] = [];
  for (const row of rows) {
    const last = groups[groups.length - 1];
    if (last?.partitionKey === row.partitionKey) last.rows.push(row);
    else groups.push({ partitionKey: row.partitionKey, rows: [row] });
  }
  return groups;
}

/** The stored inbox of one partition alone (a targeted read after this process wrote a message there). */
export async function readInbox(table: HubTable, partitionKey: string, payloads?: LargePayloads): Promise<InboxEntry[]> {
  const rows = await table.list(`PartitionKey eq ${quote(partitionKey)} and RowKey ge ${quote(INBOX_PREFIX)} and RowKey lt ${quote(`${INBOX_PREFIX}~`)}`);
  await payloads?.resolve((row) => instanceIdOf(row.partitionKey), rows, () => false);
  return sortInbox(rows.map(inboxEntryOf));
}

function inboxEntryOf(row: Row): InboxEntry {
  return { rowKey: row.rowKey, at: Number(row.At ?? 0), message: JSON.parse(getText(row, 'Msg') ?? '{}') as InboxMessage };
}

function sortRows(partitionKey: string, rows: Row[], keys: InstanceRowKeys): PartitionSnapshot {
  const snap: PartitionSnapshot = { partitionKey, history: [], historyRows: [], inbox: [], outbox: [], staleHistory: [] };
  const instanceRow = rows.find((r) => keys.is(r.rowKey));
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
