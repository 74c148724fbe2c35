/** The HubStore contract on Azure Table Storage (a real Azurite, a fresh hub table per test). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAzureTablesStore, type AzureTablesStore } from '../../../../src/durable/store/azure-tables/azure-tables-store.js';
import { LEGACY_LAYOUT } from '../../../../src/durable/store/azure-tables/hub-layout.js';
import { storageCallCounts } from '../../../../src/durable/store/azure-tables/storage-metrics.js';
import type { PartitionSnapshot } from '../../../../src/durable/store/hub-store.js';
import { startTransaction } from '../../../../src/durable/store/azure-tables/inbox-rows.js';
import { HubTable } from '../../../../src/durable/store/azure-tables/table-store.js';
import { HUB_PARTITION, INSTANCE_ROW, LAYOUT_ROW, LEASE_ROW, partitionKeyOf } from '../../../../src/durable/keys.js';
import { newExecution } from '../../../../src/durable/instance-start.js';
import { VirtualClock } from '../../../../src/durable/clock/virtual-clock.js';
import { useAzurite } from '../../../support/azurite.js';
import { testLogger, uniqueHub } from '../../harness.js';
import { hubStoreContract } from '../hub-store-contract.js';
import { captureLogger } from '../../../host/capture-logger.js';

const azurite = useAzurite();

const open = (hub: string, partitionCount?: number, logger = testLogger()): AzureTablesStore =>
  createAzureTablesStore(azurite.connectionString, hub, logger, { stopping: () => false, budgetMs: 10_000 }, partitionCount);

const UPGRADE_HINT = /one partition per instance .*npm run hub:upgrade/;

hubStoreContract('azure tables', async () => {
  const store = open(uniqueHub('contract'));
  await store.ensureReady();
  return store;
});

hubStoreContract('azure tables, one partition', async () => {
  const store = open(uniqueHub('single'), 1);
  await store.ensureReady();
  return store;
});

// A hub of the layout before partitions were shared (its layout row says so): every operation works on as before.
hubStoreContract('azure tables, a hashed hub of an earlier version', async () => {
  const hub = uniqueHub('hashed');
  const table = new HubTable(azurite.connectionString, hub, testLogger(), { stopping: () => false, budgetMs: 10_000 });
  await table.ensureTable();
  await table.transact([['create', { partitionKey: HUB_PARTITION, rowKey: LAYOUT_ROW, InstanceRows: 'hashed' }]]);
  const store = open(hub);
  assert.equal((await store.keys()).name, 'hashed');
  return store;
});

test('a new hub keeps instances in the partitions it was created with, named after them; another count later changes nothing', async () => {
  const clock = new VirtualClock();
  const hub = uniqueHub('fresh');
  const log = captureLogger('info');
  const fresh = open(hub, 3, log.logger);
  await fresh.ensureReady();
  assert.ok(!log.lines.some((l) => UPGRADE_HINT.test(String(l.msg))), 'a new hub needs no upgrade');
  const ids = Array.from({ length: 30 }, (_, i) => `inst/${i}`);
  for (const id of ids) {
    const started = newExecution(clock, id, 'Orch', '1', clock.now(), undefined);
    await fresh.startInstance(started.record, started.start);
  }
  const layoutRow = await fresh.table.get(HUB_PARTITION, LAYOUT_ROW);
  assert.deepEqual([layoutRow?.InstanceRows, layoutRow?.Partitions], ['grouped', 3], 'the layout row names the layout and its count');
  const rows = await fresh.table.list(`PartitionKey ne '${HUB_PARTITION}'`);
  assert.deepEqual([...new Set(rows.map((r) => r.partitionKey))].sort(), ['~p00', '~p01', '~p02'], 'thirty instances spread over the three partitions');
  const instanceRows = rows.filter((r) => r.InstanceId !== undefined);
  assert.equal(instanceRows.length, 30);
  for (const row of instanceRows) assert.equal(row.rowKey, `${partitionKeyOf(String(row.InstanceId))} instance`, 'an instance row is named after its instance');
  const later = open(hub, 8);
  assert.equal((await later.keys()).partitions, 3, 'the hub keeps its count');
  assert.deepEqual((await later.wakeTimes()).map((w) => w.instanceId).sort(), [...ids].sort());
  assert.deepEqual((await later.listInstanceIds({ instanceIdPrefix: 'inst/1' })).sort(), ids.filter((id) => id.startsWith('inst/1')).sort());
  // Pages merge the partitions in id order ("inst/1" before "inst/10"), whatever their size.
  const inIdOrder = [...ids].sort();
  assert.deepEqual(await later.listInstanceIds({}), inIdOrder);
  for (const top of [1, 7, 30]) {
    const paged: string[] = [];
    let token: string | undefined;
    do {
      const page = await later.pageInstances({}, top, token);
      assert.ok(page.records.length <= top);
      paged.push(...page.records.map((r) => r.instanceId));
      token = page.continuationToken;
    } while (token);
    assert.deepEqual(paged, inIdOrder, `pages of ${top}`);
  }
});

test('steps of instances that share a partition commit together, in fewer transactions than steps', async () => {
  const clock = new VirtualClock();
  const store = open(uniqueHub('group'), 1);
  const ids = Array.from({ length: 60 }, (_, i) => `g${i}`);
  for (const id of ids) {
    const started = newExecution(clock, id, 'Orch', '1', clock.now(), undefined);
    await store.startInstance(started.record, started.start);
  }
  const snaps: PartitionSnapshot[] = await Promise.all(ids.map((id) => store.loadInstance(id)));
  const before = storageCallCounts().calls.transaction ?? 0;
  await Promise.all(
    snaps.map((snap) => {
      const record = snap.record;
      assert.ok(record);
      return store.commitStep(store.prepareStep(snap, { record: { ...record, status: 'Running' }, historyEvents: [], consumed: snap.inbox.map((e) => e.rowKey), inputs: 1, inboxInserts: [], outbox: [], activities: [] }));
    }),
  );
  const transactions = (storageCallCounts().calls.transaction ?? 0) - before;
  // 120 operations: at most 100 to a transaction, so at least two.
  assert.ok(transactions >= 2 && transactions <= 4, `60 steps of one partition in ${transactions} transactions`);
  for (const id of ids) assert.equal((await store.readInstance(id))?.status, 'Running');
});

test('a hub of shared partitions is scanned a partition at a time, all at once: a stop ends every scan, a failing one too', async () => {
  const clock = new VirtualClock();
  const store = open(uniqueHub('scan'), 4);
  const ids = Array.from({ length: 40 }, (_, i) => `scan-${i}`);
  for (const id of ids) {
    const started = newExecution(clock, id, 'Orch', '1', clock.now(), undefined);
    await store.startInstance(started.record, started.start);
  }
  const filters: (string | undefined)[] = [];
  const page = store.table.page.bind(store.table);
  store.table.page = (filter, top, token) => (filters.push(filter), page(filter, top, token));
  const seen: string[] = [];
  await store.scanInstances({ whole: (snap) => void seen.push(snap.record?.instanceId ?? ''), partial: (w) => assert.fail(`${w.instanceId} straddles no page here`) });
  assert.deepEqual(seen.sort(), [...ids].sort(), 'every instance once');
  assert.deepEqual([...new Set(filters)].sort(), ['~p00', '~p01', '~p02', '~p03'].map((p) => `PartitionKey eq '${p}'`), 'one query per shared partition');

  let visits = 0;
  await store.scanInstances({ whole: () => (++visits === 5 ? 'stop' : undefined), partial: () => undefined });
  assert.equal(visits, 5, 'no partition goes on after a stop');

  visits = 0;
  store.table.page = async (filter, top, token) => {
    if (filter?.includes('~p02')) throw new Error('the partition could not be read');
    await new Promise((resolve) => setTimeout(resolve, 20));
    return page(filter, top, token);
  };
  await assert.rejects(store.scanInstances({ whole: () => void visits++, partial: () => undefined }), /could not be read/);
  assert.equal(visits, 0, 'the other partitions stop at their first instance once one scan failed');
});

test('a hub an earlier version wrote keeps `instance` and works on', async () => {
  const clock = new VirtualClock();

  // As an earlier version left a hub: its lease row, instance rows named `instance`, no layout row.
  const hub = uniqueHub('legacy');
  const table = new HubTable(azurite.connectionString, hub, testLogger(), { stopping: () => false, budgetMs: 10_000 });
  await table.transact([['create', { partitionKey: HUB_PARTITION, rowKey: LEASE_ROW, Owner: 'old' }]]);
  const old = newExecution(clock, 'b', 'Orch', '2', clock.now(), undefined);
  await table.transact(startTransaction(old, LEGACY_LAYOUT));
  const log = captureLogger('info');
  const legacy = open(hub, undefined, log.logger);
  await legacy.ensureReady();
  assert.equal((await legacy.keys()).name, 'legacy');
  assert.equal(log.lines.filter((l) => UPGRADE_HINT.test(String(l.msg))).length, 1, 'the start says how to upgrade the hub, once');
  const record = await legacy.readInstance('b');
  assert.equal(record?.input, '2', 'the old instance row is found');
  assert.deepEqual((await legacy.wakeTimes()).map((w) => w.instanceId), ['b']);
  const snap = await legacy.loadInstance('b');
  assert.ok(snap.record);
  const etags = await legacy.commitStep(legacy.prepareStep(snap, { record: { ...snap.record, status: 'Running' }, historyEvents: [], consumed: [old.start.rowKey], inputs: 1, inboxInserts: [], outbox: [], activities: [] }));
  assert.ok(etags.get(INSTANCE_ROW), 'a step commits on the old row');
  assert.equal((await table.get(partitionKeyOf('b'), INSTANCE_ROW))?.RuntimeStatus, 'Running');
  assert.equal((await table.get(HUB_PARTITION, LAYOUT_ROW))?.InstanceRows, 'legacy');
  const next = newExecution(clock, 'c', 'Orch', '3', clock.now(), undefined);
  await legacy.startInstance(next.record, next.start);
  assert.ok(await table.get(partitionKeyOf('c'), INSTANCE_ROW), 'new instances of that hub keep its layout');
});
