/**
 * Where a hub keeps an instance's rows, and how it names them. The engine and the rest of this store speak of an
 * instance's rows by their logical keys (keys.ts: `instance`, `h~…`, `i~…`, `o~…`); a layout maps them to the
 * table's PartitionKey and RowKey, and back.
 *
 * - `grouped` (hubs created by this version): N partitions `~p00`…, an instance's partition chosen by a hash of its
 *   id, its rows named `<escaped id> <logical key>`. The id is escaped as a PartitionKey is, spaces too, so the space
 *   that ends it sorts below every character of an id: an instance's rows are contiguous (one range reads them) and
 *   instance rows sort in id order ("a" before "a0"). Instances that share a partition can commit together in one
 *   entity-group transaction (group-commit.ts): the Azure Storage provider's `partitionCount` and Netherite's
 *   partitions make the same trade.
 * - `hashed` and `legacy` (hubs of earlier versions): one partition per instance, named by its escaped id; its instance
 *   row called `instance~` + a hash of the partition key (`hashed`) or `instance` (`legacy`). Azurite (LokiJS) finds
 *   a row through its RowKey index first and then filters by PartitionKey, so a hub of `legacy` rows scanned every
 *   instance row on each write.
 *
 * The `~hub`/`layout` row says which (read once per store); while an upgrade from `hashed` or `legacy` to `grouped` is
 * under way (hub-upgrade.ts) it says `upgrading` and no store works on the hub. Filters built here are OData text for
 * HubTable.
 */
import { createHash } from 'node:crypto';
import { HUB_PARTITION, INSTANCE_ROW, instanceIdOf, LAYOUT_ROW, LEASE_ROW, pad, partitionKeyOf } from '../../keys.js';
import { ConflictError } from '../../errors.js';
import type { HubTable } from './table-store.js';

export type LayoutName = 'grouped' | 'hashed' | 'legacy';

export interface HubLayout {
  readonly name: LayoutName;
  /** Partitions instances share (0: one partition per instance). */
  readonly partitions: number;
  /** The partitions instances share, by name (none: one partition per instance). */
  readonly sharedPartitions: string[];
  /** The key an instance's rows sort by in its partition (its ids' order: `a` before `a0` before `b`). */
  idKey(instanceId: string): string;
  /** The partition that holds the instance's rows. */
  partitionOf(instanceId: string): string;
  /** The stored RowKey of the instance's row `logical` (INSTANCE_ROW: its instance row). */
  rowKeyOf(instanceId: string, logical: string): string;
  /** A stored row as the engine names it; undefined for a row that is no instance's (the hub partition's). */
  logicalOf(partitionKey: string, rowKey: string): { instanceId: string; rowKey: string } | undefined;
  /** The stored row is an instance row. */
  isInstanceRow(rowKey: string): boolean;
  /** OData filter: the instance's rows whose logical key starts with `prefix` ('' for all of them). */
  rowsOf(instanceId: string, prefix?: string): string;
  /** OData filter: every instance row of the hub. */
  readonly instanceRows: string;
  /** OData filter: every inbox and outbox row of the hub. */
  readonly messageRows: string;
  /** OData filter: instance rows of ids that start with `prefix` (with `instanceRows`). */
  idPrefix(prefix: string): string;
}

export function quote(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** RowKey within [prefix, prefix + `~`): every key that starts with `prefix` and goes on below `~`. */
export function keyRange(prefix: string): string {
  return `RowKey ge ${quote(prefix)} and RowKey lt ${quote(`${prefix}~`)}`;
}

/** OData filter: the hub partition's rows whose keys start with `prefix` (wake marks, standby rows). */
export function hubRows(prefix: string): string {
  return `PartitionKey eq ${quote(HUB_PARTITION)} and ${keyRange(prefix)}`;
}

const HASHED_PREFIX = `${INSTANCE_ROW}~`;

function hex16(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** A hub of one partition per instance; `instanceRowKey` names the instance row in a partition. */
function perInstance(name: 'hashed' | 'legacy', instanceRowKey: (pk: string) => string, instanceRows: string, isInstanceRow: (rk: string) => boolean): HubLayout {
  return {
    name,
    partitions: 0,
    sharedPartitions: [],
    idKey: partitionKeyOf,
    partitionOf: partitionKeyOf,
    rowKeyOf: (instanceId, logical) => (logical === INSTANCE_ROW ? instanceRowKey(partitionKeyOf(instanceId)) : logical),
    logicalOf: (partitionKey, rowKey) =>
      partitionKey.startsWith('~') ? undefined : { instanceId: instanceIdOf(partitionKey), rowKey: isInstanceRow(rowKey) ? INSTANCE_ROW : rowKey },
    isInstanceRow,
    rowsOf: (instanceId, prefix = '') => {
      const pk = `PartitionKey eq ${quote(partitionKeyOf(instanceId))}`;
      return prefix ? `${pk} and ${keyRange(prefix)}` : pk;
    },
    instanceRows,
    messageRows: `(${keyRange('o~')}) or (${keyRange('i~')})`,
    idPrefix: (prefix) => {
      const pk = partitionKeyOf(prefix);
      return `PartitionKey ge ${quote(pk)} and PartitionKey lt ${quote(`${pk}\uffff`)}`;
    },
  };
}

export const HASHED_LAYOUT: HubLayout = perInstance(
  'hashed',
  (pk) => `${HASHED_PREFIX}${hex16(pk)}`,
  // Every other row key of a partition sorts outside this range (`h~` before it, `i~` and `o~` after it).
  keyRange(HASHED_PREFIX),
  (rowKey) => rowKey.startsWith(HASHED_PREFIX),
);

export const LEGACY_LAYOUT: HubLayout = perInstance('legacy', () => INSTANCE_ROW, `RowKey eq ${quote(INSTANCE_ROW)}`, (rowKey) => rowKey === INSTANCE_ROW);

/** Partition counts a hub may have (the Azure Storage provider's `partitionCount` allows the same). */
export const MAX_PARTITIONS = 16;
export const DEFAULT_PARTITIONS = 4;
export const GROUP_PREFIX = '~p';
/** Ends the id in a row key of a grouped hub: below every character of an escaped id. */
const END = ' ';
const INSTANCE_SUFFIX = `${END}${INSTANCE_ROW}`;

/** An id as a grouped hub's row keys begin: escaped as a PartitionKey, and spaces too (reversible: `%` is escaped). */
function groupedId(instanceId: string): string {
  return partitionKeyOf(instanceId).replace(/ /g, '%20');
}

/** A hub of `count` partitions that instances share (see the file's comment). */
export function groupedLayout(count: number): HubLayout {
  if (!Number.isInteger(count) || count < 1 || count > MAX_PARTITIONS) throw new RangeError(`partitionCount must be an integer from 1 to ${MAX_PARTITIONS}, got ${count}`);
  const groups = `PartitionKey ge ${quote(GROUP_PREFIX)} and PartitionKey lt ${quote(`${GROUP_PREFIX}~`)}`;
  // An escaped id holds no space: the first space of a row key ends the id.
  const split = (rowKey: string): { id: string; logical: string } | undefined => {
    const at = rowKey.indexOf(END);
    return at < 0 ? undefined : { id: rowKey.slice(0, at), logical: rowKey.slice(at + 1) };
  };
  return {
    name: 'grouped',
    partitions: count,
    sharedPartitions: Array.from({ length: count }, (_, i) => `${GROUP_PREFIX}${pad(i, 2)}`),
    idKey: groupedId,
    partitionOf: (instanceId) => groupedPartition(instanceId, count),
    rowKeyOf: (instanceId, logical) => `${groupedId(instanceId)}${END}${logical}`,
    logicalOf: (partitionKey, rowKey) => {
      const parts = partitionKey.startsWith(GROUP_PREFIX) ? split(rowKey) : undefined;
      return parts && { instanceId: instanceIdOf(parts.id), rowKey: parts.logical };
    },
    isInstanceRow: (rowKey) => rowKey.endsWith(INSTANCE_SUFFIX) && rowKey.indexOf(END) === rowKey.length - INSTANCE_SUFFIX.length,
    rowsOf: (instanceId, prefix = '') =>
      `PartitionKey eq ${quote(groupedPartition(instanceId, count))} and ${keyRange(`${groupedId(instanceId)}${END}${prefix}`)}`,
    // Only instance rows carry InstanceId, only inbox rows Msg and only outbox rows Msgs (a missing property never
    // compares true): the instance's id comes first in its keys, so no key range selects them.
    instanceRows: `${groups} and InstanceId ge ''`,
    messageRows: `${groups} and (Msg ge '' or Msgs ge '')`,
    idPrefix: (prefix) => {
      const id = groupedId(prefix);
      return `RowKey ge ${quote(id)} and RowKey lt ${quote(`${id}\uffff`)}`;
    },
  };
}

/**
 * FNV-1a (32 bits) of the escaped id's UTF-16 units, modulo the count: stable for the hub's life, and cheap (a step
 * asks for its partition a few times; SHA-256 here took 3 % of the host's CPU at 1,000 ticks/s).
 */
function groupedPartition(instanceId: string, count: number): string {
  const id = partitionKeyOf(instanceId);
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193);
  return `${GROUP_PREFIX}${pad((hash >>> 0) % count, 2)}`;
}

/**
 * The layout row of a hub whose upgrade to `grouped` (hub-upgrade.ts) began and has not finished: its instances are
 * partly moved, so no store may work on it until the upgrade is run again to its end.
 */
export const UPGRADING = 'upgrading';

/** What a store says when it meets a hub whose upgrade has not finished. */
export class HubUpgradingError extends Error {
  readonly code = 'HUB_UPGRADING';
}

function byRow(row: Record<string, unknown> | undefined): HubLayout {
  const name = row?.InstanceRows;
  if (name === 'grouped') return groupedLayout(Number(row?.Partitions));
  if (name === 'hashed') return HASHED_LAYOUT;
  if (name === 'legacy') return LEGACY_LAYOUT;
  throw new Error(`the task hub's layout row names an instance-row layout this version does not know: ${JSON.stringify(name)}`);
}

/**
 * The hub's layout: as its layout row says; without one, `legacy` when an engine already ran on the hub (its lease
 * row exists: an earlier version's hub) and `grouped` of `partitionCount` for a new hub. The first process to decide
 * writes the row; a hub keeps the count it was created with.
 */
export async function readHubLayout(table: HubTable, partitionCount = DEFAULT_PARTITIONS): Promise<HubLayout> {
  const row = await table.get(HUB_PARTITION, LAYOUT_ROW);
  if (row?.InstanceRows === UPGRADING) {
    throw new HubUpgradingError(`task hub ${table.tableName} is being upgraded to shared partitions and the upgrade has not finished: run the hub upgrade (npm run hub:upgrade) again to finish it, then start the hosts`);
  }
  if (row) return byRow(row);
  const legacy = (await table.get(HUB_PARTITION, LEASE_ROW)) !== undefined;
  const decided = legacy ? { InstanceRows: 'legacy' } : { InstanceRows: 'grouped', Partitions: groupedLayout(partitionCount).partitions };
  try {
    await table.transact([['create', { partitionKey: HUB_PARTITION, rowKey: LAYOUT_ROW, ...decided }]]);
    return byRow(decided);
  } catch (err) {
    if (!(err instanceof ConflictError)) throw err;
    return byRow(await table.get(HUB_PARTITION, LAYOUT_ROW)); // another process decided first
  }
}
