/**
 * The offline upgrade of a hub of an earlier version (`hashed`, `legacy`) to shared partitions (hub-upgrade.ts), on a
 * real Azurite (tables and blobs): instances written by the store itself keep every row, message and large payload;
 * an upgrade stopped after any write and run again ends where an uninterrupted one does; a running host stops it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { TransactionAction } from '@azure/data-tables';
import { createAzureTablesStore, type AzureTablesStore } from '../../../../src/durable/store/azure-tables/azure-tables-store.js';
import { upgradeHub, type HubUpgradeOptions } from '../../../../src/durable/store/azure-tables/hub-upgrade.js';
import { HubInUseError } from '../../../../src/durable/store/azure-tables/hub-sole-access.js';
import { TableLeaseStore } from '../../../../src/durable/store/azure-tables/lease-store.js';
import { HubTable } from '../../../../src/durable/store/azure-tables/table-store.js';
import type { EntityTexts } from '../../../../src/durable/store/azure-tables/batch-wire.js';
import { HubLease } from '../../../../src/durable/lease/hub-lease.js';
import { HUB_PARTITION, historyRowKey, LAYOUT_ROW, LEASE_ROW, taskResultKey } from '../../../../src/durable/keys.js';
import { newExecution } from '../../../../src/durable/instance-start.js';
import { EventType, stamp, type InstanceRecord } from '../../../../src/durable/instance-state.js';
import { decodeMarker } from '../../../../src/durable/store/payloads/payload-marker.js';
import type { PartitionSnapshot } from '../../../../src/durable/store/hub-store.js';
import { VirtualClock } from '../../../../src/durable/clock/virtual-clock.js';
import { useAzurite } from '../../../support/azurite.js';
import { fuzzParameters } from '../../../support/fuzz.js';
import { testLogger, uniqueHub } from '../../harness.js';

const azurite = useAzurite();
const control = { stopping: () => false, budgetMs: 10_000 };
const open = (hub: string, partitionCount?: number): AzureTablesStore => createAzureTablesStore(azurite.connectionString, hub, testLogger(), control, partitionCount);
const tableOf = (hub: string): HubTable => new HubTable(azurite.connectionString, hub, testLogger(), control);
/** Short lease and watches, so that a test waits a second, not half a minute. */
const quick = (partitionCount: number): HubUpgradeOptions => ({ partitionCount, logger: testLogger(), lease: { durationMs: 1_500, renewEveryMs: 300 }, presenceWatchMs: 600, pollMs: 50 });

const BIG = 'x'.repeat(100_000);
const IDS = ['plain', 'a/b#c?d', 'with space', 'é-ünï', 'a', 'a0', 'big', 'stale', 'waiting'];

/** A step of the store itself: the start consumed, history, a result for later, a child to create (an outbox row). */
async function runStep(store: AzureTablesStore, id: string, clock: VirtualClock, result = '"r"'): Promise<void> {
  const snap = await store.loadInstance(id);
  const record = snap.record;
  assert.ok(record);
  const now = clock.now();
  const history = [stamp({ EventType: EventType.ExecutionStarted, Name: 'Orch', Input: record.input }, -1, now, false), stamp({ EventType: EventType.TaskScheduled, Name: 'Act' }, 1, now, false)];
  await store.commitStep(
    store.prepareStep(snap, {
      record: { ...record, status: 'Running', nextWakeAt: now + 60_000 },
      historyEvents: history,
      consumed: snap.inbox.map((e) => e.rowKey),
      inputs: snap.inbox.length,
      inboxInserts: [{ rowKey: taskResultKey(record.executionId, 1), at: now, message: { type: 'event', executionId: record.executionId, event: { EventType: EventType.TaskCompleted, TaskScheduledId: 1, Result: result } } }],
      outbox: [{ type: 'createSub', instanceId: `${id}-child`, name: 'Child', input: '"c"', parent: { instanceId: id, executionId: record.executionId, taskId: 2 } }],
      activities: [],
    }),
  );
}

/** Instances in several states, written through the store (and one stale history row by hand). */
async function populate(store: AzureTablesStore, ids = IDS): Promise<void> {
  const clock = new VirtualClock();
  for (const id of ids) {
    const started = newExecution(clock, id, 'Orch', JSON.stringify(id === 'big' ? BIG : id), clock.now(), undefined);
    await store.startInstance(started.record, started.start);
  }
  for (const id of ids.filter((i) => i !== 'waiting')) await runStep(store, id, clock, id === 'big' ? JSON.stringify(BIG) : '"r"');
  if (ids.includes('waiting')) await store.insertMessage('waiting', { rowKey: 'i~e~000000000000001~000000000001~u', at: 1, message: { type: 'event', event: { EventType: EventType.TaskCompleted, Name: 'Go' } } });
  if (ids.includes('stale')) {
    const layout = await store.keys();
    const row = { partitionKey: layout.partitionOf('stale'), rowKey: layout.rowKeyOf('stale', historyRowKey('oldexecution', 0, 0)), Events: '[]' };
    await store.table.transact([['create', row]]);
  }
}

/**
 * A hub an earlier version left: `hashed` (its layout row says so) or `legacy` (its lease row, `instance` rows, no
 * layout row), with what a store reads of it and its stored rows, taken before its layout row is dropped.
 */
async function oldHub(kind: 'hashed' | 'legacy', ids = IDS): Promise<{ hub: string; before: unknown; rows: Map<string, unknown> }> {
  const hub = uniqueHub(kind);
  const table = tableOf(hub);
  await table.ensureTable();
  if (kind === 'hashed') await table.transact([['create', { partitionKey: HUB_PARTITION, rowKey: LAYOUT_ROW, InstanceRows: 'hashed' }]]);
  // The lease of a host that stopped cleanly.
  else await new TableLeaseStore(table).create({ owner: 'old', holder: { host: 'old-machine', pid: 7 }, token: 'old', durationMs: 30_000, renewals: 3, released: true, expiresAt: 0 });
  const store = open(hub);
  assert.equal((await store.keys()).name, kind);
  await populate(store, ids);
  const before = await view(hub, ids);
  const rows = await storedRows(hub);
  if (kind === 'legacy') await table.client.deleteEntity(HUB_PARTITION, LAYOUT_ROW);
  return { hub, before, rows };
}

/** Rows outside the hub partition by the names the engine gives them (instance id, logical key): their properties. */
async function storedRows(hub: string): Promise<Map<string, unknown>> {
  const layout = await open(hub).keys();
  const rows = await tableOf(hub).list(`PartitionKey ne '${HUB_PARTITION}'`);
  return new Map(
    rows.map(({ partitionKey, rowKey, etag: _etag, timestamp: _timestamp, ...props }) => {
      const logical = layout.logicalOf(partitionKey, rowKey);
      assert.ok(logical);
      return [`${logical.instanceId} ${logical.rowKey}`, props];
    }),
  );
}

function withoutEtag(record: InstanceRecord | undefined): Omit<InstanceRecord, 'etag'> | undefined {
  if (!record) return undefined;
  const { etag: _etag, ...rest } = record;
  return rest;
}

function comparable(snap: PartitionSnapshot): unknown {
  return { ...snap, record: withoutEtag(snap.record) };
}

/** Everything a store reads of the hub, ETags aside. */
async function view(hub: string, ids = IDS): Promise<unknown> {
  const store = open(hub);
  const snaps = await Promise.all(ids.map(async (id) => [id, comparable(await store.loadInstance(id))] as const));
  const byId = (a: { instanceId: string }, b: { instanceId: string }): number => (a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : 0);
  const paged: InstanceRecord[] = [];
  let token: string | undefined;
  do {
    const page = await store.pageInstances({}, 2, token);
    paged.push(...page.records);
    token = page.continuationToken;
  } while (token);
  return {
    snaps: Object.fromEntries(snaps),
    wakeTimes: (await store.wakeTimes()).sort(byId),
    listed: (await store.listInstances({})).sort(byId).map(withoutEtag),
    paged: paged.sort(byId).map(withoutEtag),
    prefixed: (await store.listInstanceIds({ instanceIdPrefix: 'a' })).sort(),
    messages: (await store.messageRefs()).map((m) => `${m.instanceId} ${m.rowKey}`).sort(),
  };
}

/** Rows outside the hub partition whose PartitionKey is not a shared one: rows of the old layout. */
async function oldRows(hub: string): Promise<number> {
  return (await tableOf(hub).list(`PartitionKey lt '~' or PartitionKey ge '\u007f'`)).length;
}

for (const kind of ['hashed', 'legacy'] as const) {
  test(`a ${kind} hub upgrades to shared partitions: every instance reads the same, large payloads included, and steps commit on it`, async () => {
    const { hub, before, rows } = await oldHub(kind);
    const result = await upgradeHub(tableOf(hub), quick(3));
    assert.deepEqual([result.outcome, result.from, result.partitions, result.instances], ['upgraded', kind, 3, IDS.length]);
    const layoutRow = await tableOf(hub).get(HUB_PARTITION, LAYOUT_ROW);
    assert.deepEqual([layoutRow?.InstanceRows, layoutRow?.Partitions], ['grouped', 3]);
    assert.equal(await oldRows(hub), 0, 'no row is left where the old layout kept it');
    assert.deepEqual(await view(hub), before, 'every snapshot, wake time, listing and page agrees');
    assert.deepEqual(await storedRows(hub), rows, 'every row keeps its properties');

    const store = open(hub);
    assert.equal((await store.keys()).name, 'grouped');
    const big = (await store.table.list(`InstanceId eq 'big'`))[0];
    assert.ok(decodeMarker(big?.Input), 'the moved instance row still names its blob (blobs are named after the instance)');
    assert.equal((await store.readInstance('big'))?.input, JSON.stringify(BIG));
    await runStep(store, 'waiting', new VirtualClock());
    assert.equal((await store.readInstance('waiting'))?.status, 'Running', 'a step commits on an upgraded instance');
    const clock = new VirtualClock();
    const fresh = newExecution(clock, 'new-one', 'Orch', '1', clock.now(), undefined);
    await store.startInstance(fresh.record, fresh.start);
    assert.equal((await store.readInstance('new-one'))?.status, 'Pending');
    assert.equal((await upgradeHub(tableOf(hub), quick(3))).outcome, 'grouped', 'run again: nothing to do');
  });
}

test('a hub no engine ran on is left as it is: nothing is written, not even the table', async () => {
  const hub = uniqueHub('none');
  assert.equal((await upgradeHub(tableOf(hub), quick(2))).outcome, 'new');
  assert.equal(await tableOf(hub).exists(), false);
  const empty = uniqueHub('empty');
  await tableOf(empty).ensureTable();
  assert.equal((await upgradeHub(tableOf(empty), quick(2))).outcome, 'new');
  assert.deepEqual(await tableOf(empty).list(`PartitionKey eq '${HUB_PARTITION}'`), [], 'no lease row (it would make the hub look legacy) and no layout row');
  assert.equal((await open(empty).keys()).name, 'grouped', 'a host then creates it grouped');
});

/** The hub's table, stopped (as by a crash) at its `limit`-th write. */
class CrashingTable extends HubTable {
  writes = 0;
  constructor(hub: string, private readonly limit: number) {
    super(azurite.connectionString, hub, testLogger(), control);
  }
  override async transact(actions: TransactionAction[], texts?: EntityTexts): Promise<Map<string, string>> {
    if (this.writes++ >= this.limit) throw new Error(`crash before write ${this.writes}`);
    return super.transact(actions, texts);
  }
}

test('an upgrade stopped after any number of writes stops every store, and run again ends as an uninterrupted one', async () => {
  const ids = ['plain', 'a/b#c?d', 'big', 'stale', 'waiting'];
  const counting = new CrashingTable((await oldHub('hashed', ids)).hub, Number.POSITIVE_INFINITY);
  await upgradeHub(counting, quick(2));
  const writes = counting.writes;

  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 0, max: writes - 1 }), fc.constantFrom('hashed' as const, 'legacy' as const), async (limit, kind) => {
      const { hub, before, rows } = await oldHub(kind, ids);
      await assert.rejects(upgradeHub(new CrashingTable(hub, limit), quick(2)), /crash before write/);
      if (limit > 0) await assert.rejects(open(hub).ensureReady(), /is being upgraded .* run the hub upgrade \(npm run hub:upgrade\) again to finish it/);
      const result = await upgradeHub(tableOf(hub), quick(2));
      assert.equal(result.outcome, 'upgraded');
      assert.equal(await oldRows(hub), 0);
      assert.deepEqual(await view(hub, ids), before);
      assert.deepEqual(await storedRows(hub), rows, 'the same rows with the same properties');
    }),
    fuzzParameters({ numRuns: 8 }, 'interrupted hub upgrade'),
  );
});

test('a running host stops the upgrade: its lease is renewed, or its standby presence row rewritten; a crashed one is waited out', async () => {
  const { hub } = await oldHub('hashed', ['plain']);
  const table = tableOf(hub);
  const host = new HubLease({ store: new TableLeaseStore(table), workerId: 'host-a', timing: { durationMs: 1_200, renewEveryMs: 200 }, logger: testLogger(), holder: { host: 'elsewhere', pid: 1 }, onAcquired: () => undefined, onLost: () => undefined });
  await host.start();
  await assert.rejects(upgradeHub(table, quick(2)), (err: unknown) => err instanceof HubInUseError && /running host holds the hub's lease: host-a .*stop every host of this task hub first/.test(err.message));
  await host.release();
  assert.equal((await table.get(HUB_PARTITION, LAYOUT_ROW))?.InstanceRows, 'hashed', 'nothing changed');

  const standby = open(hub);
  await standby.markPresence('standby-b');
  const rewrite = setInterval(() => void standby.markPresence('standby-b'), 100);
  try {
    await assert.rejects(upgradeHub(table, quick(2)), /a standby host runs on the hub .*standby-b/);
  } finally {
    clearInterval(rewrite);
  }
  assert.equal((await table.get(HUB_PARTITION, LAYOUT_ROW))?.InstanceRows, 'hashed', 'nothing changed');

  // A host that crashed on another machine: its lease stands still for its duration, then the upgrade takes it.
  await table.client.deleteEntity(HUB_PARTITION, LEASE_ROW);
  await new TableLeaseStore(table).create({ owner: 'crashed', holder: { host: 'elsewhere', pid: 2 }, token: 'gone', durationMs: 1_000, renewals: 1, released: false, expiresAt: 0 });
  const started = performance.now();
  assert.equal((await upgradeHub(table, quick(2))).outcome, 'upgraded', 'the stale standby row is not rewritten: left by a stopped host');
  assert.ok(performance.now() - started >= 1_000, 'the crashed holder was waited out');
  assert.equal((await new TableLeaseStore(table).read())?.released, true, 'the upgrade released the lease');
});
