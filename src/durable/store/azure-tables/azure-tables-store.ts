/**
 * The task hub on Azure Table Storage (the HubStore behind the engine): ONE table per hub, instances in partitions
 * as the hub's layout says (hub-layout.ts; README.md: Storage layout). Row codecs, keys, chunking, batches and ETags
 * stay in this folder. The engine names an instance's rows by logical keys; this store maps them (hub-layout.ts).
 */
import type { Logger } from 'pino';
import { getText, type EntityProps } from '../../chunked-text.js';
import { historyPrefix, HUB_PARTITION, INSTANCE_ROW, instanceIdOf, partitionKeyOf, STANDBY_PREFIX, WAKE_PREFIX } from '../../keys.js';
import type { InboxEntry, InstanceRecord } from '../../instance-state.js';
import type { StepPlan } from '../../planner/step-plan.js';
import type { HistoryEventJson } from '../../wire-types.js';
import { ConflictError } from '../../errors.js';
import { describe, statusOf } from '../storage-failures.js';
import type { HubSignals, HubStore, InstanceFilter, InstanceVisitor, MessageRef, PartitionSnapshot, PreparedStep, WakeTime } from '../hub-store.js';
import { decodeMarker } from '../payloads/payload-marker.js';
import type { EntityTexts } from './batch-wire.js';
import { BlobContainerStore } from './blob-container.js';
import { inboxEntity, startTransaction } from './inbox-rows.js';
import { knownBlobsOf } from './known-blobs.js';
import { LargePayloads, rereadOnMissingBlob, type Offload } from './large-payloads.js';
import { recordFromRow } from './instance-row.js';
import { hubRows, keyRange, quote, readHubLayout, type HubLayout } from './hub-layout.js';
import { GroupCommit } from './group-commit.js';
import { byRowKey, mergedPage } from './merged-pages.js';
import { TableLeaseStore } from './lease-store.js';
import { instanceOfRow, logicalKey, readInbox, readPartition, resolvePartition, scanPartitions, wakeTimeOf } from './partition-snapshot.js';
import { buildTransaction, type BuiltStep } from './step-transaction.js';
import { groupCommitSteps } from './storage-metrics.js';
import { HubTable, type RetryControl, type Row } from './table-store.js';
import type { TransactionAction } from '@azure/data-tables';

/** `partitionCount`: the partitions of a hub this store creates (an existing hub keeps its own). */
export function createAzureTablesStore(connectionString: string, tableName: string, logger: Logger, control: RetryControl, partitionCount?: number): AzureTablesStore {
  const table = new HubTable(connectionString, tableName, logger, control);
  const blobs = new BlobContainerStore(connectionString, tableName, (label, op) => table.retrying(label, op));
  return new AzureTablesStore(table, new LargePayloads(blobs, knownBlobsOf(`${connectionString}\n${tableName}`)), partitionCount);
}

export class AzureTablesStore implements HubStore {
  readonly lease: TableLeaseStore;
  /** The transaction of each step this store prepared (a PreparedStep stays free of table types). */
  private readonly prepared = new WeakMap<PreparedStep, { built: BuiltStep; offload: Offload }>();
  /** Where the hub keeps instances' rows: read (or decided) once, before the first call that needs it. */
  private layout: Promise<HubLayout> | undefined;
  private known: HubLayout | undefined;
  private readonly groups = new GroupCommit((steps) => this.commitGroup(steps), (n) => groupCommitSteps.observe(n));

  constructor(
    readonly table: HubTable,
    /** Large payloads in the hub's blob container; without it (tests of rows alone) every payload stays in its row. */
    readonly payloads?: LargePayloads,
    private readonly partitionCount?: number,
  ) {
    this.lease = new TableLeaseStore(table);
  }

  /** The hub's layout (hub-layout.ts). */
  async keys(): Promise<HubLayout> {
    this.layout ??= this.table
      .ensureTable()
      .then(() => readHubLayout(this.table, this.partitionCount))
      .then((layout) => (this.known = layout))
      .catch((err: unknown) => {
        this.layout = undefined;
        throw err;
      });
    return this.layout;
  }

  /** Also says, once, when the hub is of an earlier layout (the engine calls it once, at start). */
  async ensureReady(): Promise<void> {
    const layout = await this.keys();
    if (layout.partitions > 0) return;
    this.table.logger.info(
      { table: this.table.tableName, layout: layout.name },
      'durable: this task hub keeps one partition per instance (made by an earlier version): steps commit one by one; with every host stopped, npm run hub:upgrade moves it to shared partitions (docs/operations.md)',
    );
  }

  async loadInstance(instanceId: string): Promise<PartitionSnapshot> {
    const keys = await this.keys();
    return rereadOnMissingBlob(() => readPartition(this.table, instanceId, keys, this.payloads));
  }

  /**
   * A hub of shared partitions is scanned partition by partition, all at once: Azurite filters and sorts what is left
   * of the query for every page, so four scans of a quarter cost it half of one of the whole (100,000 instances of
   * four rows: 16 against 32 s), and a real account answers them side by side.
   */
  async scanInstances(visit: InstanceVisitor): Promise<void> {
    const layout = await this.keys();
    if (layout.sharedPartitions.length === 0) return scanPartitions(this.table, visit, layout, undefined, this.payloads);
    let stopped = false;
    const untilStopped: InstanceVisitor = {
      whole: (snap) => (stopped || visit.whole(snap) === 'stop' ? ((stopped = true), 'stop') : undefined),
      partial: (wake) => (stopped || visit.partial(wake) === 'stop' ? ((stopped = true), 'stop') : undefined),
    };
    // One scan failing stops the others: the scan ends as a whole, with the first failure.
    const scans = layout.sharedPartitions.map((partition) =>
      scanPartitions(this.table, untilStopped, layout, undefined, this.payloads, `PartitionKey eq ${quote(partition)}`).catch((err: unknown) => {
        stopped = true;
        throw err;
      }),
    );
    const failed = (await Promise.allSettled(scans)).find((outcome) => outcome.status === 'rejected');
    if (failed) throw failed.reason;
  }

  async readInbox(instanceId: string): Promise<InboxEntry[]> {
    const layout = await this.keys();
    return rereadOnMissingBlob(() => readInbox(this.table, instanceId, layout, this.payloads));
  }

  prepareStep(snap: PartitionSnapshot, plan: StepPlan): PreparedStep {
    // A snapshot only comes from a read or a start of this store, so the layout is known by now.
    if (!this.known) throw new Error('prepareStep: the hub layout is not read yet (no instance was read or started)');
    let offload: Offload = { pending: [], garbage: [] };
    const instanceId = instanceIdOf(snap.partitionKey);
    const built = buildTransaction(snap, plan, this.known, (entities, instanceRow) => {
      if (this.payloads) offload = this.payloads.offload(instanceId, entities, instanceRow, snap.record?.etag);
    });
    this.prepared.set(built, { built, offload });
    return built;
  }

  /** The step goes with whatever else of its partition is ready to commit (group-commit.ts). */
  async commitStep(step: PreparedStep): Promise<Map<string, string>> {
    const prepared = this.prepared.get(step);
    if (!prepared || !this.known) throw new Error('commitStep: a step this store did not prepare');
    const { built, offload } = prepared;
    const layout = this.known;
    if (this.payloads) await this.payloads.write(offload.pending);
    const etags = await this.groups.submit(built);
    await this.afterCommit(built.instanceId, built.actions, offload, etags);
    // The engine names rows by their logical keys.
    const mine = new Map<string, string>();
    for (const [, entity] of built.actions) {
      const etag = etags.get(String(entity.rowKey));
      if (etag !== undefined) mine.set(layout.logicalOf(String(entity.partitionKey), String(entity.rowKey))?.rowKey ?? String(entity.rowKey), etag);
    }
    return mine;
  }

  /** Steps of one partition as one transaction (a lone step too); their blobs are up already. */
  private commitGroup(steps: BuiltStep[]): Promise<Map<string, string>> {
    if (steps.length === 1) return this.table.transact(steps[0]?.actions ?? [], steps[0]?.texts);
    const texts = new Map<object, string>();
    for (const step of steps) for (const [entity, text] of step.texts) texts.set(entity, text);
    return this.table.transact(steps.flatMap((step) => step.actions), texts);
  }

  /**
   * Writes the commit's blobs, THEN the commit (a crash in between leaves orphan blobs, never a row naming a missing
   * one), then tells the payloads what the instance row now holds.
   */
  private async transactWithBlobs(instanceId: string, actions: TransactionAction[], offload: Offload, texts?: EntityTexts): Promise<Map<string, string>> {
    if (this.payloads) await this.payloads.write(offload.pending);
    const etags = await this.table.transact(actions, texts);
    await this.afterCommit(instanceId, actions, offload, etags);
    return etags;
  }

  /** Tells the payloads what the instance's rows name now that its commit is in. */
  private async afterCommit(instanceId: string, actions: TransactionAction[], offload: Offload, etags: Map<string, string>): Promise<void> {
    if (!this.payloads) return;
    const deleted = actions.flatMap(([kind, entity]) => (kind === 'delete' ? [String(entity.rowKey)] : []));
    await this.payloads.committed(instanceId, offload, this.known ? etags.get(this.known.rowKeyOf(instanceId, INSTANCE_ROW)) : undefined, deleted);
  }

  async deleteRows(instanceId: string, rowKeys: string[]): Promise<void> {
    const layout = await this.keys();
    const stored = rowKeys.map((rowKey) => layout.rowKeyOf(instanceId, rowKey));
    await this.table.deleteRows(layout.partitionOf(instanceId), stored);
    await this.payloads?.rowsDeleted(instanceId, stored);
  }

  async wakeTimes(): Promise<WakeTime[]> {
    const layout = await this.keys();
    const rows = await this.table.list(layout.instanceRows, ['PartitionKey', 'RowKey', 'RuntimeStatus', 'NextWakeAt']);
    return rows.map((row) => wakeTimeOf(layout, row));
  }

  async messageRefs(): Promise<MessageRef[]> {
    return (await this.scanMessages()).messages;
  }

  /** ONE query: inbox and outbox rows of every instance, and the hub partition's wake marks and standby rows. */
  async scanMessages(): Promise<{ messages: MessageRef[]; signals: HubSignals }> {
    const layout = await this.keys();
    const hub = `(PartitionKey eq ${quote(HUB_PARTITION)} and ((${keyRange(WAKE_PREFIX)}) or (${keyRange(STANDBY_PREFIX)})))`;
    const rows = await this.table.list(`(${layout.messageRows}) or ${hub}`, ['PartitionKey', 'RowKey']);
    const messages: MessageRef[] = [];
    const signals: HubSignals = { wakes: 0, standbys: new Map() };
    for (const row of rows) {
      if (row.partitionKey !== HUB_PARTITION) messages.push({ instanceId: instanceOfRow(layout, row), rowKey: logicalKey(layout, row) });
      else if (row.rowKey.startsWith(WAKE_PREFIX)) signals.wakes++;
      else signals.standbys.set(row.rowKey.slice(STANDBY_PREFIX.length), row.etag);
    }
    return { messages, signals };
  }

  async markPresence(presenceId: string): Promise<void> {
    const entity = { partitionKey: HUB_PARTITION, rowKey: `${STANDBY_PREFIX}${presenceId}` };
    await this.table.retrying('upsertEntity', () => this.table.client.upsertEntity(entity, 'Replace'));
  }

  async clearPresence(presenceId: string, etag: string): Promise<void> {
    await this.deleteHubRow(`${STANDBY_PREFIX}${presenceId}`, etag);
  }

  /** Deletes a hub partition row If-Match; one changed or gone meanwhile is left. */
  private async deleteHubRow(rowKey: string, etag: string): Promise<void> {
    await this.table.retrying('deleteEntity', async () => {
      try {
        await this.table.client.deleteEntity(HUB_PARTITION, rowKey, { etag });
      } catch (err) {
        const status = statusOf(err);
        if (status !== 412 && status !== 404) throw err;
      }
    });
  }

  readInstance(instanceId: string): Promise<InstanceRecord | undefined> {
    return rereadOnMissingBlob(() => this.readInstanceOnce(instanceId));
  }

  private async readInstanceOnce(instanceId: string): Promise<InstanceRecord | undefined> {
    const layout = await this.keys();
    const row = await this.table.get(layout.partitionOf(instanceId), layout.rowKeyOf(instanceId, INSTANCE_ROW));
    if (!row) return undefined;
    await resolvePartition(this.payloads, [row], await this.keys());
    return recordFromRow(row);
  }

  async readHistory(instanceId: string, executionId: string): Promise<HistoryEventJson[]> {
    const rows = await this.table.list((await this.keys()).rowsOf(instanceId, historyPrefix(executionId)));
    await this.payloads?.resolve(() => instanceId, rows, () => false);
    return rows.flatMap((r) => JSON.parse(getText(r, 'Events') ?? '[]') as HistoryEventJson[]);
  }

  async startInstance(record: InstanceRecord, start: InboxEntry, replacing?: InstanceRecord): Promise<string | undefined> {
    const layout = await this.keys();
    const actions = startTransaction({ record, start }, layout, replacing);
    const entities = actions.map(([, entity]) => entity as EntityProps);
    const offload = this.payloads?.offload(record.instanceId, entities, entities[0], replacing?.etag) ?? { pending: [], garbage: [] };
    // A recreated instance: what the ended execution alone names goes once the new one has replaced it.
    const doomed = replacing ? await this.cleanUp('recreate', () => this.endedExecutionBlobs(record.instanceId, replacing.executionId)) : [];
    const etags = await this.refusable(record.instanceId, offload, () => this.transactWithBlobs(record.instanceId, actions, offload));
    // Not what the new rows name again (an unchanged input keeps its blob).
    const named = new Set(entities.flatMap((entity) => blobsNamedBy(entity)));
    const gone = (doomed ?? []).filter((blob) => !named.has(blob));
    if (gone.length > 0) await this.cleanUp('recreate', () => this.payloads?.deleteBlobs(gone));
    return etags.get(layout.rowKeyOf(record.instanceId, INSTANCE_ROW));
  }

  /** Clean-ups of blobs never fail the operation: what they miss stays as an orphan until the instance's purge. */
  private async cleanUp<T>(what: string, work: () => Promise<T> | undefined): Promise<T | undefined> {
    if (!this.payloads?.blobs.available) return undefined;
    try {
      return await work();
    } catch (err) {
      this.table.logger.warn({ op: what, table: this.table.tableName, error: describe(err) }, 'durable: large payload clean-up failed; the blobs stay until a purge');
      return undefined;
    }
  }

  /**
   * Blobs of an ended instance that only its instance row, its execution's history and nothing else name, and
   * orphans of crashed commits: read before it is replaced (nobody writes to an ended instance but a late message,
   * whose rows are kept with their blobs).
   */
  private async endedExecutionBlobs(instanceId: string, executionId: string): Promise<string[]> {
    const payloads = this.payloads;
    if (!payloads) return [];
    const listed = await payloads.listInstance(instanceId);
    if (listed.length === 0) return [];
    const layout = await this.keys();
    const kept = new Set<string>();
    for (const row of await this.table.list(layout.rowsOf(instanceId))) {
      const ended = layout.isInstanceRow(row.rowKey) || logicalKey(layout, row).startsWith(historyPrefix(executionId));
      if (!ended) for (const blob of blobsNamedBy(row)) kept.add(blob);
    }
    return listed.filter((blob) => !kept.has(blob));
  }

  async insertMessage(instanceId: string, entry: InboxEntry): Promise<void> {
    const entity = inboxEntity(await this.keys(), instanceId, entry.rowKey, entry.at, entry.message);
    const offload = this.payloads?.offload(instanceId, [entity]) ?? { pending: [], garbage: [] };
    await this.refusable(instanceId, offload, () => this.transactWithBlobs(instanceId, [['create', entity]], offload));
  }

  /**
   * A client write whose blobs went up first: when storage refuses it (409/412: nothing of it applied, or a lost
   * answer's retry met what it wrote), its blobs that no row of the partition names go, so a refused start or a
   * duplicate delivery leaves no orphan.
   */
  private async refusable<T>(instanceId: string, offload: Offload, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (err) {
      if (err instanceof ConflictError && offload.pending.length > 0) {
        await this.cleanUp('refused write', async () => {
          const named = new Set((await this.table.list((await this.keys()).rowsOf(instanceId))).flatMap((row) => blobsNamedBy(row)));
          await this.payloads?.deleteBlobs(offload.pending.map((blob) => blob.name).filter((name) => !named.has(name)));
        });
      }
      throw err;
    }
  }

  /** Purge: the blobs of an instance whose rows are gone (a new instance started meanwhile keeps what it names). */
  async afterPurge(instanceId: string): Promise<void> {
    const payloads = this.payloads;
    if (!payloads) return;
    payloads.purged(instanceId);
    await this.cleanUp('purge', async () => {
      const listed = await payloads.listInstance(instanceId);
      if (listed.length === 0) return;
      const kept = new Set<string>();
      for (const row of await this.table.list((await this.keys()).rowsOf(instanceId))) for (const blob of blobsNamedBy(row)) kept.add(blob);
      await payloads.deleteBlobs(listed.filter((blob) => !kept.has(blob)));
    });
  }

  listInstances(filter: InstanceFilter): Promise<InstanceRecord[]> {
    return rereadOnMissingBlob(() => this.listInstancesOnce(filter));
  }

  /** Instance rows `filter` selects, in id order (across a grouped hub's partitions too). */
  private async instanceRows(filter: InstanceFilter, select?: string[]): Promise<Row[]> {
    const layout = await this.keys();
    const rows = await this.table.list(instanceFilter(filter, layout), select);
    return layout.sharedPartitions.length > 0 ? rows.sort(byRowKey) : rows;
  }

  private async listInstancesOnce(filter: InstanceFilter): Promise<InstanceRecord[]> {
    const rows = await this.instanceRows(filter);
    await resolvePartition(this.payloads, rows, await this.keys());
    return rows.map(recordFromRow);
  }

  pageInstances(filter: InstanceFilter, top: number, continuationToken?: string): Promise<{ records: InstanceRecord[]; continuationToken?: string }> {
    return rereadOnMissingBlob(() => this.pageInstancesOnce(filter, top, continuationToken));
  }

  private async pageInstancesOnce(filter: InstanceFilter, top: number, continuationToken?: string): Promise<{ records: InstanceRecord[]; continuationToken?: string }> {
    const layout = await this.keys();
    const page = layout.sharedPartitions.length > 0
      ? await mergedPage(this.table, layout, instanceFilter(filter, layout), top, continuationToken)
      : await this.table.page(instanceFilter(filter, layout), top, continuationToken);
    await resolvePartition(this.payloads, page.rows, layout);
    const records = page.rows.map(recordFromRow);
    return page.continuationToken ? { records, continuationToken: page.continuationToken } : { records };
  }

  async listInstanceIds(filter: InstanceFilter): Promise<string[]> {
    const layout = await this.keys();
    return (await this.instanceRows(filter, ['PartitionKey', 'RowKey'])).map((r) => instanceOfRow(layout, r));
  }

  async deleteInstanceRow(instanceId: string, etag: string): Promise<boolean> {
    const layout = await this.keys();
    const pk = layout.partitionOf(instanceId);
    const rowKey = layout.rowKeyOf(instanceId, INSTANCE_ROW);
    try {
      await this.table.retrying('deleteEntity', () => this.table.client.deleteEntity(pk, rowKey, { etag }));
      return true;
    } catch (err) {
      const status = statusOf(err);
      if (status === 412 || status === 404) return false; // changed or gone meanwhile
      throw err;
    }
  }

  async markWake(instanceId: string): Promise<void> {
    const entity = { partitionKey: HUB_PARTITION, rowKey: `${WAKE_PREFIX}${partitionKeyOf(instanceId)}` };
    await this.table.retrying('upsertEntity', () => this.table.client.upsertEntity(entity, 'Replace'));
  }

  /** One query of the hub partition's wake rows; each is deleted If-Match, so a mark written since stays. */
  async takeWakes(): Promise<string[]> {
    const rows = await this.table.list(hubRows(WAKE_PREFIX), ['PartitionKey', 'RowKey']);
    for (const row of rows) await this.deleteHubRow(row.rowKey, row.etag); // one re-marked meanwhile stays
    return rows.map((row) => instanceIdOf(row.rowKey.slice(WAKE_PREFIX.length)));
  }

  async rowKeysOf(instanceId: string): Promise<string[]> {
    const layout = await this.keys();
    const rows = await this.table.list(layout.rowsOf(instanceId), ['PartitionKey', 'RowKey']);
    return rows.filter((r) => !layout.isInstanceRow(r.rowKey)).map((r) => logicalKey(layout, r));
  }
}

/** The blobs a row names (its large properties' markers). */
function blobsNamedBy(row: EntityProps): string[] {
  return Object.values(row).flatMap((value) => decodeMarker(value)?.blob ?? []);
}

function instanceFilter(query: InstanceFilter, layout: HubLayout): string {
  const parts = [`(${layout.instanceRows})`];
  if (query.runtimeStatus && query.runtimeStatus.length > 0) {
    parts.push(`(${query.runtimeStatus.map((s) => `RuntimeStatus eq ${quote(s)}`).join(' or ')})`);
  }
  if (query.createdTimeFrom) parts.push(`CreatedTime ge ${quote(query.createdTimeFrom.toISOString())}`);
  if (query.createdTimeTo) parts.push(`CreatedTime le ${quote(query.createdTimeTo.toISOString())}`);
  if (query.instanceIdPrefix) parts.push(layout.idPrefix(query.instanceIdPrefix));
  return parts.join(' and ');
}
