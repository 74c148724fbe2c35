/**
 * Reads one instance's rows and sorts them into record, current history, inbox, outbox and garbage. A read that takes
 * several pages is checked against the instance row afterwards: a commit between two pages would pair the new ETag
 * with old history, so such a read is done again. Rows are read as stored and named as the engine names them
 * (hub-layout.ts) once their payloads are resolved.
 */
import { getText } from '../../chunked-text.js';
import { executionOfHistoryRow, HISTORY_PREFIX, INBOX_PREFIX, INSTANCE_ROW, OUTBOX_PREFIX, partitionKeyOf } from '../../keys.js';
import type { HubLayout } from './hub-layout.js';
import type { LargePayloads } from './large-payloads.js';
import { sortInbox, type InboxEntry, type InboxMessage, type OutboxMessage } from '../../instance-state.js';
import type { HistoryEventJson, RuntimeStatus } from '../../wire-types.js';
import type { InstanceVisitor, OutboxEntry, PartitionSnapshot, ScanAnswer, WakeTime } from '../hub-store.js';
import { recordFromRow } from './instance-row.js';
import type { HubTable, Row } from './table-store.js';

const MAX_SNAPSHOT_ATTEMPTS = 5;

/**
 * Puts large payloads back into one partition's rows as read (large-payloads.ts). History rows of other executions
 * than the instance row's are garbage nobody parses: their blobs are not fetched.
 */
export async function resolvePartition(payloads: LargePayloads | undefined, rows: Row[], layout: HubLayout): Promise<void> {
  if (!payloads) return;
  const current = rows.find((r) => layout.isInstanceRow(r.rowKey))?.ExecutionId;
  await payloads.resolve(
    (row) => instanceOfRow(layout, row),
    rows,
    (row) => layout.isInstanceRow(row.rowKey),
    (row) => {
      const key = logicalKey(layout, row);
      return !key.startsWith(HISTORY_PREFIX) || (typeof current === 'string' && executionOfHistoryRow(key) === current);
    },
  );
}

/** The id of the instance a stored row belongs to ('' for none: the hub partition's rows). */
export function instanceOfRow(layout: HubLayout, row: Row): string {
  return layout.logicalOf(row.partitionKey, row.rowKey)?.instanceId ?? '';
}

/** The row's key as the engine names it. */
export function logicalKey(layout: HubLayout, row: Row): string {
  return layout.logicalOf(row.partitionKey, row.rowKey)?.rowKey ?? row.rowKey;
}

export async function readPartition(table: HubTable, instanceId: string, layout: HubLayout, payloads?: LargePayloads): Promise<PartitionSnapshot> {
  for (let attempt = 1; ; attempt++) {
    const { rows, pages } = await table.listPages(layout.rowsOf(instanceId));
    await resolvePartition(payloads, rows, layout);
    const snap = sortRows(instanceId, rows, layout);
    if (pages <= 1 || attempt >= MAX_SNAPSHOT_ATTEMPTS) {
      if (pages > 1 && !(await sameRecord(table, instanceId, snap, layout))) throw new Error(`partition of ${instanceId} keeps changing while it is read`);
      return snap;
    }
    if (await sameRecord(table, instanceId, snap, layout)) return snap;
  }
}

/** The instance row is still the one the snapshot holds (no commit happened while the pages were read). */
async function sameRecord(table: HubTable, instanceId: string, snap: PartitionSnapshot, layout: HubLayout): Promise<boolean> {
  const now = await table.get(layout.partitionOf(instanceId), layout.rowKeyOf(instanceId, INSTANCE_ROW));
  return now?.etag === snap.record?.etag;
}

/** The most rows the service returns in one page. */
const SCAN_PAGE_ROWS = 1_000;

/** One instance's rows as a page of a scan brings them, in key order. */
interface InstanceRows {
  instanceId: string;
  rows: Row[];
}

/** An instance whose rows went on into the next page: its instance row, once one of its pieces held it. */
interface Straddler {
  instanceId: string;
  instanceRow?: Row;
}

/** The wake time an instance row records (what the projected query and a straddling instance give). */
export function wakeTimeOf(layout: HubLayout, row: Row): WakeTime {
  return {
    instanceId: instanceOfRow(layout, row),
    status: String(row.RuntimeStatus) as RuntimeStatus,
    ...(typeof row.NextWakeAt === 'number' ? { nextWakeAt: row.NextWakeAt } : {}),
  };
}

/**
 * Every instance of the table (or of the rows `filter` selects) from one scan in key order (a page at a time, so a big
 * hub is never held in memory at once); an instance's rows are contiguous in every layout. An instance whose rows
 * straddle two pages is handed on as its wake time alone: a commit between the two reads could pair a new ETag with
 * old history, which a one-page read cannot.
 */
export async function scanPartitions(
  table: HubTable,
  visit: InstanceVisitor,
  layout: HubLayout,
  pageRows = SCAN_PAGE_ROWS,
  payloads?: LargePayloads,
  filter?: string,
): Promise<void> {
  // The instance last seen is handed on once the next one begins: until then its rows may go on in the next page.
  let pending: InstanceRows | undefined;
  let straddler: Straddler | undefined;
  const handOn = async (): Promise<ScanAnswer> => {
    const [group, piece] = [pending, straddler];
    [pending, straddler] = [undefined, undefined];
    if (group) {
      await resolvePartition(payloads, group.rows, layout);
      const snap = sortRows(group.instanceId, group.rows, layout);
      return snap.record ? visit.whole(snap) : undefined;
    }
    return piece?.instanceRow ? visit.partial(wakeTimeOf(layout, piece.instanceRow)) : undefined;
  };
  let token: string | undefined;
  do {
    const page = await table.page(filter, pageRows, token);
    for (const [i, group] of groupByInstance(page.rows, layout).entries()) {
      const goesOn = i === 0 && (pending ?? straddler)?.instanceId === group.instanceId;
      if (goesOn) {
        straddler = { instanceId: group.instanceId, ...instanceRowIn([straddler?.instanceRow, ...(pending?.rows ?? []), ...group.rows], layout) };
        pending = undefined;
        continue;
      }
      if ((await handOn()) === 'stop') return;
      pending = group;
    }
    token = page.continuationToken;
  } while (token);
  await handOn();
}

function instanceRowIn(rows: (Row | undefined)[], layout: HubLayout): { instanceRow?: Row } {
  const instanceRow = rows.find((row) => row !== undefined && layout.isInstanceRow(row.rowKey));
  return instanceRow ? { instanceRow } : {};
}

/** Consecutive rows of the same instance; the hub partition's rows are left out. */
function groupByInstance(rows: Row[], layout: HubLayout): InstanceRows[] {
  const groups: InstanceRows[] = [];
  for (const row of rows) {
    const instanceId = layout.logicalOf(row.partitionKey, row.rowKey)?.instanceId;
    if (instanceId === undefined) continue;
    const last = groups[groups.length - 1];
    if (last?.instanceId === instanceId) last.rows.push(row);
    else groups.push({ instanceId, rows: [row] });
  }
  return groups;
}

/** The stored inbox of one instance alone (a targeted read after this process wrote a message there). */
export async function readInbox(table: HubTable, instanceId: string, layout: HubLayout, payloads?: LargePayloads): Promise<InboxEntry[]> {
  const rows = await table.list(layout.rowsOf(instanceId, INBOX_PREFIX));
  await payloads?.resolve(() => instanceId, rows, () => false);
  return sortInbox(rows.map((row) => inboxEntryOf(row, logicalKey(layout, row))));
}

function inboxEntryOf(row: Row, rowKey: string): InboxEntry {
  return { rowKey, at: Number(row.At ?? 0), message: JSON.parse(getText(row, 'Msg') ?? '{}') as InboxMessage };
}

function sortRows(instanceId: string, rows: Row[], layout: HubLayout): PartitionSnapshot {
  const snap: PartitionSnapshot = { partitionKey: partitionKeyOf(instanceId), history: [], historyRows: [], inbox: [], outbox: [], staleHistory: [] };
  const instanceRow = rows.find((r) => layout.isInstanceRow(r.rowKey));
  if (instanceRow) snap.record = recordFromRow(instanceRow);
  for (const row of rows) {
    const key = logicalKey(layout, row);
    if (key.startsWith(HISTORY_PREFIX)) {
      if (snap.record && executionOfHistoryRow(key) === snap.record.executionId) {
        snap.history.push(...(JSON.parse(getText(row, 'Events') ?? '[]') as HistoryEventJson[]));
        snap.historyRows.push(key);
      } else {
        snap.staleHistory.push(key);
      }
    } else if (key.startsWith(INBOX_PREFIX)) {
      snap.inbox.push(inboxEntryOf(row, key));
    } else if (key.startsWith(OUTBOX_PREFIX)) {
      snap.outbox.push(outboxEntryOf(instanceId, key, row));
    }
  }
  sortInbox(snap.inbox);
  return snap;
}

function outboxEntryOf(instanceId: string, rowKey: string, row: Row): OutboxEntry {
  return { instanceId, rowKey, messages: JSON.parse(getText(row, 'Msgs') ?? '[]') as OutboxMessage[] };
}
