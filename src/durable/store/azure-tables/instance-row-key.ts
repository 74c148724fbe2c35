/**
 * How a hub names its instance rows. Azurite (LokiJS) finds a row through its RowKey index first and then filters
 * by PartitionKey: when every partition's instance row was called `instance`, each write of one scanned all instance
 * rows (400 instance-row transactions took 2.6 s with 10,000 instances, 0.4 s with a key per partition). So a hub
 * created by this version names it `instance~` + 16 hex digits of a hash of the partition key; a hub an earlier
 * version created keeps `instance`. The `~hub`/`layout` row says which (read once per store).
 */
import { createHash } from 'node:crypto';
import { HUB_PARTITION, INSTANCE_ROW, LAYOUT_ROW, LEASE_ROW } from '../../keys.js';
import { ConflictError } from '../../errors.js';
import type { HubTable } from './table-store.js';

export interface InstanceRowKeys {
  readonly layout: 'hashed' | 'legacy';
  /** The instance row's key in this partition. */
  of(partitionKey: string): string;
  /** OData filter that selects every instance row of the hub. */
  readonly filter: string;
  is(rowKey: string): boolean;
}

const HASHED_PREFIX = `${INSTANCE_ROW}~`;

export const HASHED_KEYS: InstanceRowKeys = {
  layout: 'hashed',
  of: (partitionKey) => `${HASHED_PREFIX}${createHash('sha256').update(partitionKey).digest('hex').slice(0, 16)}`,
  // Every other row key of a partition sorts outside this range (`h~` before it, `i~` and `o~` after it).
  filter: `RowKey ge '${HASHED_PREFIX}' and RowKey lt '${HASHED_PREFIX}~'`,
  is: (rowKey) => rowKey.startsWith(HASHED_PREFIX),
};

export const LEGACY_KEYS: InstanceRowKeys = {
  layout: 'legacy',
  of: () => INSTANCE_ROW,
  filter: `RowKey eq '${INSTANCE_ROW}'`,
  is: (rowKey) => rowKey === INSTANCE_ROW,
};

function byName(layout: unknown): InstanceRowKeys {
  if (layout === 'hashed') return HASHED_KEYS;
  if (layout === 'legacy') return LEGACY_KEYS;
  throw new Error(`the task hub's layout row names an instance-row layout this version does not know: ${JSON.stringify(layout)}`);
}

/**
 * The hub's layout: as its layout row says; without one, `legacy` when an engine already ran on the hub (its lease
 * row exists: an earlier version's hub) and `hashed` for a new hub. The first process to decide writes the row.
 */
export async function hubInstanceRowKeys(table: HubTable): Promise<InstanceRowKeys> {
  const row = await table.get(HUB_PARTITION, LAYOUT_ROW);
  if (row) return byName(row.InstanceRows);
  const layout = (await table.get(HUB_PARTITION, LEASE_ROW)) ? 'legacy' : 'hashed';
  try {
    await table.transact([['create', { partitionKey: HUB_PARTITION, rowKey: LAYOUT_ROW, InstanceRows: layout }]]);
    return byName(layout);
  } catch (err) {
    if (!(err instanceof ConflictError)) throw err;
    return byName((await table.get(HUB_PARTITION, LAYOUT_ROW))?.InstanceRows); // another process decided first
  }
}
