/**
 * Pages of instance rows in id order on a hub whose instances share partitions (hub-layout.ts, `grouped`): the
 * table service orders a query by PartitionKey first, so each shared partition is read from the cursor on and the
 * partitions' rows are merged. A page costs one query per partition, whatever the number of instances.
 *
 * The continuation token has the table service's shape (base64 of `{"nextPartitionKey","nextRowKey"}`, what the
 * Durable list route checks): `nextPartitionKey` names no partition but the shared ones as a whole, `nextRowKey`
 * is the row key the next page starts from in each of them.
 */
import { GROUP_PREFIX, quote, type HubLayout } from './hub-layout.js';
import type { HubTable, Row } from './table-store.js';

export interface RowPage {
  rows: Row[];
  continuationToken?: string;
}

function encode(nextRowKey: string): string {
  return Buffer.from(JSON.stringify({ nextPartitionKey: GROUP_PREFIX, nextRowKey }), 'latin1').toString('base64');
}

/**
 * Where the next page starts. A token of the right shape that this hub did not hand out (the route checks the shape)
 * positions the page as the table service would: at its row key, or at the start.
 */
function decode(token: string): string {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64').toString('latin1')) as { nextRowKey?: unknown };
    return typeof parsed.nextRowKey === 'string' ? parsed.nextRowKey : '';
  } catch {
    return '';
  }
}

/** Up to `top` rows of one partition matching `filter`, following the service's continuations. */
async function partitionPage(table: HubTable, filter: string, top: number): Promise<{ rows: Row[]; more: boolean }> {
  const rows: Row[] = [];
  let token: string | undefined;
  do {
    const page = await table.page(filter, top - rows.length, token);
    rows.push(...page.rows);
    token = page.continuationToken;
  } while (token && rows.length < top);
  return { rows, more: token !== undefined };
}

/** In key order, which is id order within and across a grouped hub's partitions. */
export function byRowKey(a: Row, b: Row): number {
  return a.rowKey < b.rowKey ? -1 : a.rowKey > b.rowKey ? 1 : 0;
}

/** One page of the instance rows `filter` selects, in id order, from the cursor `token` on. */
export async function mergedPage(table: HubTable, layout: HubLayout, filter: string, top: number, token?: string): Promise<RowPage> {
  const from = token === undefined ? undefined : decode(token);
  const reads = await Promise.all(
    layout.sharedPartitions.map((partition) =>
      partitionPage(table, `PartitionKey eq ${quote(partition)} and (${filter})${from === undefined ? '' : ` and RowKey ge ${quote(from)}`}`, top),
    ),
  );
  const merged = reads.flatMap((read) => read.rows).sort(byRowKey);
  const rows = merged.slice(0, top);
  const last = rows[rows.length - 1];
  const more = merged.length > top || reads.some((read) => read.more);
  const lastId = last && layout.logicalOf(last.partitionKey, last.rowKey)?.instanceId;
  // Every logical key sorts below `~`: the next page starts after every row of the last instance.
  return more && lastId !== undefined ? { rows, continuationToken: encode(layout.rowKeyOf(lastId, '~')) } : { rows };
}
