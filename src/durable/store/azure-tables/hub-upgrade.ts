/**
 * The offline upgrade of a hub of an earlier version (`hashed` or `legacy`: one partition per instance) to the
 * `grouped` layout of shared partitions (hub-layout.ts), so that its steps commit together (group-commit.ts).
 *
 * Safe against a crash at any instant, and run again to finish: under the hub's lease (hub-sole-access.ts) it first
 * writes the layout row `upgrading` (with the layout it comes from and the partition count it goes to), which stops
 * every store from working on the hub (readHubLayout throws). Then, instance partition by instance partition, it
 * copies the rows to where the grouped layout keeps them (upsert Replace: a second run writes the same rows again)
 * and only then deletes the old ones, so a row is always in one place or both, never lost. The layout row says
 * `grouped` last. Large payloads stay where they are: blobs are named after their instance (payload-marker.ts), so a
 * moved row's marker names the same blob.
 */
import type { TableEntity, TransactionAction } from '@azure/data-tables';
import type { Logger } from 'pino';
import type { EntityProps } from '../../chunked-text.js';
import { HUB_PARTITION, INSTANCE_ROW, LAYOUT_ROW, LEASE_ROW } from '../../keys.js';
import { MAX_TRANSACTION_BYTES, MAX_TRANSACTION_OPS, TRANSACTION_OP_OVERHEAD_BYTES } from '../../storage-limits.js';
import { entityJson } from './batch-wire.js';
import { groupedLayout, HASHED_LAYOUT, LEGACY_LAYOUT, quote, UPGRADING, type HubLayout } from './hub-layout.js';
import { takeSoleAccess, type SoleAccessOptions } from './hub-sole-access.js';
import { pool } from './pool.js';
import { validateTaskHubName } from '../../names.js';
import { HubTable, type Row } from './table-store.js';

export interface HubUpgradeOptions extends SoleAccessOptions {
  /** Partitions of the grouped layout (an interrupted upgrade, run again, keeps the count it started with). */
  partitionCount: number;
}

export interface HubUpgradeResult {
  /** `upgraded`: moved now; `grouped`: nothing to do; `new`: no engine ran on the hub (a host creates it grouped). */
  outcome: 'upgraded' | 'grouped' | 'new';
  from?: 'hashed' | 'legacy';
  partitions?: number;
  /** Instance rows moved (and partitions without one: rows left of a purged instance). */
  instances: number;
  rows: number;
  ms: number;
}

/** An upgrade to do: the layout it comes from and the partitions it goes to. */
interface Plan {
  from: 'hashed' | 'legacy';
  partitions: number;
}

/** Partitions of one instance each: all but the hub's and the shared ones (`~…`: an escaped id never holds `~`). */
const OLD_PARTITIONS = `PartitionKey lt ${quote('~')} or PartitionKey ge ${quote('\u007f')}`;
/** Rows read at a time when looking for the next partitions to move. */
const PAGE_ROWS = 100;
const PROGRESS_EVERY_MS = 5_000;
/** Instances moved at once (1,000 instances of two rows on Azurite: 4.6 s one at a time, 3.0 s eight at once). */
const MOVES_AT_ONCE = 8;

/** Moves every instance of a `hashed` or `legacy` hub into the `grouped` layout (see the file's comment). */
export async function upgradeHub(table: HubTable, options: HubUpgradeOptions): Promise<HubUpgradeResult> {
  const started = performance.now();
  const log = options.logger;
  const nothing = (outcome: 'grouped' | 'new'): HubUpgradeResult => {
    log.info(outcome === 'grouped' ? `hub upgrade: task hub ${table.tableName} has shared partitions already: nothing to do` : `hub upgrade: no engine ran on task hub ${table.tableName} yet: nothing to upgrade (a host creates it with shared partitions)`);
    return { outcome, instances: 0, rows: 0, ms: performance.now() - started };
  };
  // A probe that writes nothing (not even the table): a new hub must stay new, and a lease row would make it `legacy`.
  const found = (await table.exists()) ? await planOf(table, options.partitionCount) : 'new';
  if (typeof found === 'string') return nothing(found);
  const lease = await takeSoleAccess(table, options);
  try {
    // Read again under the lease: an interrupted upgrade goes on as it began.
    const plan = await planOf(table, options.partitionCount);
    if (typeof plan === 'string') return nothing(plan);
    if (plan.partitions !== options.partitionCount) log.warn(`hub upgrade: finishing an interrupted upgrade to ${plan.partitions} partitions (not ${options.partitionCount}): its moved rows are there`);
    log.info(`hub upgrade: moving the instances of task hub ${table.tableName} (${plan.from}) into ${plan.partitions} shared partitions; hosts cannot start on it until this ends`);
    await writeLayoutRow(table, { InstanceRows: UPGRADING, From: plan.from, Partitions: plan.partitions });
    const moved = await moveInstances(table, plan.from === 'hashed' ? HASHED_LAYOUT : LEGACY_LAYOUT, groupedLayout(plan.partitions), log);
    await writeLayoutRow(table, { InstanceRows: 'grouped', Partitions: plan.partitions });
    return { outcome: 'upgraded', ...plan, ...moved, ms: performance.now() - started };
  } finally {
    await lease.release();
  }
}

/** What the layout row (or its absence) asks for. */
async function planOf(table: HubTable, partitionCount: number): Promise<Plan | 'grouped' | 'new'> {
  const row = await table.get(HUB_PARTITION, LAYOUT_ROW);
  const name = row?.InstanceRows;
  if (name === 'grouped') return 'grouped';
  if (name === 'hashed' || name === 'legacy') return { from: name, partitions: groupedLayout(partitionCount).partitions };
  if (name === UPGRADING) {
    const from = row?.From;
    if (from !== 'hashed' && from !== 'legacy') throw new Error(`the task hub's layout row says ${UPGRADING} from ${JSON.stringify(from)}, a layout this version does not know`);
    return { from, partitions: groupedLayout(Number(row?.Partitions)).partitions };
  }
  if (row) throw new Error(`the task hub's layout row names an instance-row layout this version does not know: ${JSON.stringify(name)}`);
  // No layout row: an earlier version's hub has its lease row (readHubLayout decides the same way).
  return (await table.get(HUB_PARTITION, LEASE_ROW)) ? { from: 'legacy', partitions: groupedLayout(partitionCount).partitions } : 'new';
}

async function writeLayoutRow(table: HubTable, props: EntityProps): Promise<void> {
  await table.transact([['upsert', { partitionKey: HUB_PARTITION, rowKey: LAYOUT_ROW, ...props }, 'Replace']]);
}

/** Moves partition after partition until no old one is left (each read starts afresh: moved rows are gone). */
async function moveInstances(table: HubTable, from: HubLayout, to: HubLayout, log: Logger): Promise<{ instances: number; rows: number }> {
  const moved = { instances: 0, rows: 0 };
  let said = performance.now();
  for (let partitions = await nextPartitions(table); partitions.length > 0; partitions = await nextPartitions(table)) {
    // Instances are independent of each other: several move at once (a crash leaves each in one place or both).
    await pool(partitions, MOVES_AT_ONCE, async (partition) => {
      const rows = await moveInstance(table, partition, from, to);
      moved.instances += rows.some((row) => from.isInstanceRow(row.rowKey)) ? 1 : 0;
      moved.rows += rows.length;
      if (performance.now() - said >= PROGRESS_EVERY_MS) {
        log.info(`hub upgrade: ${moved.instances} instances moved so far`);
        said = performance.now();
      }
    });
  }
  return moved;
}

/** The partitions of the first rows of the old layout left (none: all moved). */
async function nextPartitions(table: HubTable): Promise<string[]> {
  let token: string | undefined;
  do {
    // The service may answer a page without rows but with a continuation: nothing changes the table meanwhile.
    const page = await table.page(OLD_PARTITIONS, PAGE_ROWS, token);
    if (page.rows.length > 0) return [...new Set(page.rows.map((row) => row.partitionKey))];
    token = page.continuationToken;
  } while (token);
  return [];
}

/** Copies one instance's partition to its grouped place, then deletes it; the rows it moved. */
async function moveInstance(table: HubTable, partition: string, from: HubLayout, to: HubLayout): Promise<Row[]> {
  const rows = await table.list(`PartitionKey eq ${quote(partition)}`);
  for (const batch of transactions(rows.map((row) => copyOf(row, from, to)))) {
    await table.transact(
      batch.map(({ entity }): TransactionAction => ['upsert', entity, 'Replace']),
      new Map(batch.map(({ entity, json }) => [entity, json])),
    );
  }
  await table.deleteRows(partition, rows.map((row) => row.rowKey));
  return rows;
}

/** Properties the service keeps itself. */
const SYSTEM = new Set(['partitionKey', 'rowKey', 'etag', 'timestamp']);

/** The row as the grouped layout names it, every property as stored (payload markers included). */
function copyOf(row: Row, from: HubLayout, to: HubLayout): { entity: TableEntity<EntityProps>; json: string } {
  const logical = from.logicalOf(row.partitionKey, row.rowKey);
  if (!logical) throw new Error(`row ${row.partitionKey} / ${row.rowKey} belongs to no instance`);
  const entity: TableEntity<EntityProps> = { partitionKey: to.partitionOf(logical.instanceId), rowKey: to.rowKeyOf(logical.instanceId, logical.rowKey) };
  for (const [name, value] of Object.entries(row)) {
    if (SYSTEM.has(name) || name.startsWith('odata.')) continue;
    // entityJson refuses anything else: no row of this store holds another type.
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') entity[name] = value;
    else throw new Error(`row ${row.partitionKey} / ${row.rowKey}: property ${name} is not a string, number or boolean`);
  }
  if (logical.rowKey === INSTANCE_ROW && entity.InstanceId === undefined) throw new Error(`instance row ${row.partitionKey} / ${row.rowKey} has no InstanceId`);
  return { entity, json: entityJson(entity) };
}

/** Rows of one partition in transactions of at most 100 operations and the request size the service takes. */
function transactions<T extends { json: string }>(copies: T[]): T[][] {
  const batches: T[][] = [];
  let batch: T[] = [];
  let bytes = 0;
  for (const copy of copies) {
    const size = Buffer.byteLength(copy.json, 'utf8') + TRANSACTION_OP_OVERHEAD_BYTES;
    if (batch.length > 0 && (batch.length >= MAX_TRANSACTION_OPS || bytes + size > MAX_TRANSACTION_BYTES)) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(copy);
    bytes += size;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/** A storage outage fails the command after this long of retries (it can be run again). */
const STORAGE_BUDGET_MS = 30_000;

/** The upgrade of task hub `taskHubName` in the account of `connectionString` (what the hub upgrade command runs). */
export function upgradeTaskHub(connectionString: string, taskHubName: string, options: HubUpgradeOptions): Promise<HubUpgradeResult> {
  const table = new HubTable(connectionString, validateTaskHubName(taskHubName), options.logger, { stopping: () => false, budgetMs: STORAGE_BUDGET_MS });
  return upgradeHub(table, options);
}
