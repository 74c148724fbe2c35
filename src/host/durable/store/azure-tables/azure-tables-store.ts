/**
 * The task hub on Azure Table Storage (the HubStore behind the engine): ONE table per hub, one partition per
 * instance (README.md: Storage layout). Row codecs, keys, chunking, batches and ETags stay in this folder.
 */
import type { Logger } from 'pino';
import { getText } from '../../chunked-text.js';
import { historyPrefix, INBOX_PREFIX, INSTANCE_ROW, instanceIdOf, OUTBOX_PREFIX, partitionKeyOf } from '../../keys.js';
import type { InboxEntry, InstanceRecord } from '../../model.js';
import type { StepPlan } from '../../step-plan.js';
import type { HistoryEventJson, RuntimeStatus } from '../../types.js';
import { statusOf } from '../errors.js';
import type { HubStore, InstanceFilter, MessageRef, PartitionSnapshot, PreparedStep, WakeTime } from '../hub-store.js';
import { inboxEntity, startTransaction } from './inbox-rows.js';
import { recordFromRow } from './instance-row.js';
import { hubInstanceRowKeys, type InstanceRowKeys } from './instance-row-key.js';
import { TableLeaseStore } from './lease-store.js';
import { quote, readInbox, readPartition, scanPartitions } from './partition-snapshot.js';
import { buildTransaction, type BuiltStep } from './step-transaction.js';
import { HubTable, type RetryControl } from './table-store.js';

export function createAzureTablesStore(connectionString: string, tableName: string, logger: Logger, control: RetryControl): AzureTablesStore {
  return new AzureTablesStore(new HubTable(connectionString, tableName, logger, control));
}

export class AzureTablesStore implements HubStore {
  readonly lease: TableLeaseStore;
  /** The transaction of each step this store prepared (a PreparedStep stays free of table types). */
  private readonly prepared = new WeakMap<PreparedStep, BuiltStep>();
  /** How the hub names its instance rows: read (or decided) once, before the first call that needs it. */
  private layout: Promise<InstanceRowKeys> | undefined;
  private known: InstanceRowKeys | undefined;

  constructor(readonly table: HubTable) {
    this.lease = new TableLeaseStore(table);
  }

  private async keys(): Promise<InstanceRowKeys> {
    this.layout ??= this.table
      .ensureTable()
      .then(() => hubInstanceRowKeys(this.table))
      .then((keys) => (this.known = keys))
      .catch((err: unknown) => {
        this.layout = undefined;
        throw err;
      });
    return this.layout;
  }

  async ensureReady(): Promise<void> {
    await this.keys();
  }

  async loadInstance(instanceId: string): Promise<PartitionSnapshot> {
    return readPartition(this.table, instanceId, await this.keys());
  }

  async scanInstances(visit: (snap: PartitionSnapshot) => void): Promise<void> {
    return scanPartitions(this.table, visit, await this.keys());
  }

  readInbox(instanceId: string): Promise<InboxEntry[]> {
    return readInbox(this.table, partitionKeyOf(instanceId));
  }

  prepareStep(snap: PartitionSnapshot, plan: StepPlan): PreparedStep {
    // A snapshot only comes from a read or a start of this store, so the layout is known by now.
    if (!this.known) throw new Error('prepareStep: the hub layout is not read yet (no instance was read or started)');
    const built = buildTransaction(snap, plan, this.known);
    this.prepared.set(built, built);
    return built;
  }

  async commitStep(step: PreparedStep): Promise<Map<string, string>> {
    const built = this.prepared.get(step);
    if (!built) throw new Error('commitStep: a step this store did not prepare');
    const etags = await this.table.transact(built.actions);
    return withInstanceEtag(etags, built.actions[0]?.[1].partitionKey, this.known);
  }

  deleteRows(instanceId: string, rowKeys: string[]): Promise<void> {
    return this.table.deleteRows(partitionKeyOf(instanceId), rowKeys);
  }

  async wakeTimes(): Promise<WakeTime[]> {
    const rows = await this.table.list((await this.keys()).filter, ['PartitionKey', 'RowKey', 'RuntimeStatus', 'NextWakeAt']);
    return rows.map((row) => ({
      instanceId: instanceIdOf(row.partitionKey),
      status: String(row.RuntimeStatus) as RuntimeStatus,
      ...(typeof row.NextWakeAt === 'number' ? { nextWakeAt: row.NextWakeAt } : {}),
    }));
  }

  async messageRefs(): Promise<MessageRef[]> {
    const rows = await this.table.list(
      `(RowKey ge ${quote(OUTBOX_PREFIX)} and RowKey lt ${quote(`${OUTBOX_PREFIX}~`)}) or (RowKey ge ${quote(INBOX_PREFIX)} and RowKey lt ${quote(`${INBOX_PREFIX}~`)})`,
      ['PartitionKey', 'RowKey'],
    );
    return rows.map((row) => ({ instanceId: instanceIdOf(row.partitionKey), rowKey: row.rowKey }));
  }

  async readInstance(instanceId: string): Promise<InstanceRecord | undefined> {
    const pk = partitionKeyOf(instanceId);
    const row = await this.table.get(pk, (await this.keys()).of(pk));
    return row ? recordFromRow(row) : undefined;
  }

  async readHistory(instanceId: string, executionId: string): Promise<HistoryEventJson[]> {
    const prefix = historyPrefix(executionId);
    const rows = await this.table.list(`PartitionKey eq ${quote(partitionKeyOf(instanceId))} and RowKey ge ${quote(prefix)} and RowKey lt ${quote(`${prefix}~`)}`);
    return rows.flatMap((r) => JSON.parse(getText(r, 'Events') ?? '[]') as HistoryEventJson[]);
  }

  async startInstance(record: InstanceRecord, start: InboxEntry, replacing?: InstanceRecord): Promise<string | undefined> {
    const keys = await this.keys();
    const pk = partitionKeyOf(record.instanceId);
    const etags = await this.table.transact(startTransaction({ record, start }, keys.of(pk), replacing));
    return etags.get(keys.of(pk));
  }

  async insertMessage(instanceId: string, entry: InboxEntry): Promise<void> {
    await this.table.transact([['create', inboxEntity(partitionKeyOf(instanceId), entry.rowKey, entry.at, entry.message)]]);
  }

  async listInstances(filter: InstanceFilter): Promise<InstanceRecord[]> {
    return (await this.table.list(instanceFilter(filter, await this.keys()))).map(recordFromRow);
  }

  async pageInstances(filter: InstanceFilter, top: number, continuationToken?: string): Promise<{ records: InstanceRecord[]; continuationToken?: string }> {
    const page = await this.table.page(instanceFilter(filter, await this.keys()), top, continuationToken);
    const records = page.rows.map(recordFromRow);
    return page.continuationToken ? { records, continuationToken: page.continuationToken } : { records };
  }

  async listInstanceIds(filter: InstanceFilter): Promise<string[]> {
    const rows = await this.table.list(instanceFilter(filter, await this.keys()), ['PartitionKey', 'RowKey']);
    return rows.map((r) => instanceIdOf(r.partitionKey));
  }

  async deleteInstanceRow(instanceId: string, etag: string): Promise<boolean> {
    const pk = partitionKeyOf(instanceId);
    const rowKey = (await this.keys()).of(pk);
    try {
      await this.table.retrying('deleteEntity', () => this.table.client.deleteEntity(pk, rowKey, { etag }));
      return true;
    } catch (err) {
      const status = statusOf(err);
      if (status === 412 || status === 404) return false; // changed or gone meanwhile
      throw err;
    }
  }

  async rowKeysOf(instanceId: string): Promise<string[]> {
    const keys = await this.keys();
    const rows = await this.table.list(`PartitionKey eq ${quote(partitionKeyOf(instanceId))}`, ['PartitionKey', 'RowKey']);
    return rows.map((r) => r.rowKey).filter((rk) => !keys.is(rk));
  }
}

/** The commit's ETags, with the instance row's also under the logical key INSTANCE_ROW (what the engine asks for). */
function withInstanceEtag(etags: Map<string, string>, partitionKey: unknown, keys: InstanceRowKeys | undefined): Map<string, string> {
  const etag = typeof partitionKey === 'string' && keys ? etags.get(keys.of(partitionKey)) : undefined;
  if (etag !== undefined) etags.set(INSTANCE_ROW, etag);
  return etags;
}

function instanceFilter(query: InstanceFilter, keys: InstanceRowKeys): string {
  const parts = [`(${keys.filter})`];
  if (query.runtimeStatus && query.runtimeStatus.length > 0) {
    parts.push(`(${query.runtimeStatus.map((s) => `RuntimeStatus eq ${quote(s)}`).join(' or ')})`);
  }
  if (query.createdTimeFrom) parts.push(`CreatedTime ge ${quote(query.createdTimeFrom.toISOString())}`);
  if (query.createdTimeTo) parts.push(`CreatedTime le ${quote(query.createdTimeTo.toISOString())}`);
  if (query.instanceIdPrefix) {
    const prefix = partitionKeyOf(query.instanceIdPrefix);
    parts.push(`PartitionKey ge ${quote(prefix)} and PartitionKey lt ${quote(`${prefix}\uffff`)}`);
  }
  return parts.join(' and ');
}
