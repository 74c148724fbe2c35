/** The HubStore contract on Azure Table Storage (a real Azurite, a fresh hub table per test). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAzureTablesStore, type AzureTablesStore } from '../../../../src/durable/store/azure-tables/azure-tables-store.js';
import { HASHED_KEYS, LEGACY_KEYS } from '../../../../src/durable/store/azure-tables/instance-row-key.js';
import { startTransaction } from '../../../../src/durable/store/azure-tables/inbox-rows.js';
import { HubTable } from '../../../../src/durable/store/azure-tables/table-store.js';
import { HUB_PARTITION, INSTANCE_ROW, LAYOUT_ROW, LEASE_ROW, partitionKeyOf } from '../../../../src/durable/keys.js';
import { newExecution } from '../../../../src/durable/instance-start.js';
import { VirtualClock } from '../../../../src/durable/clock/virtual-clock.js';
import { useAzurite } from '../../../support/azurite.js';
import { testLogger, uniqueHub } from '../../harness.js';
import { hubStoreContract } from '../hub-store-contract.js';

const azurite = useAzurite();

hubStoreContract('azure tables', async () => {
  const store = createAzureTablesStore(azurite.connectionString, uniqueHub('contract'), testLogger(), { stopping: () => false, budgetMs: 10_000 });
  await store.ensureReady();
  return store;
});

test('a new hub names each instance row after its partition; a hub an earlier version wrote keeps `instance` and works on', async () => {
  const open = (hub: string): AzureTablesStore => createAzureTablesStore(azurite.connectionString, hub, testLogger(), { stopping: () => false, budgetMs: 10_000 });
  const clock = new VirtualClock();
  const fresh = open(uniqueHub('fresh'));
  const started = newExecution(clock, 'a', 'Orch', '1', clock.now(), undefined);
  await fresh.startInstance(started.record, started.start);
  const keys = await fresh.table.list(`PartitionKey eq '${partitionKeyOf('a')}'`);
  assert.deepEqual(keys.map((r) => r.rowKey).filter((k) => k.startsWith('instance')), [HASHED_KEYS.of(partitionKeyOf('a'))]);
  assert.equal((await fresh.table.get(HUB_PARTITION, LAYOUT_ROW))?.InstanceRows, 'hashed');

  // As an earlier version left a hub: its lease row, instance rows named `instance`, no layout row.
  const hub = uniqueHub('legacy');
  const table = new HubTable(azurite.connectionString, hub, testLogger(), { stopping: () => false, budgetMs: 10_000 });
  await table.transact([['create', { partitionKey: HUB_PARTITION, rowKey: LEASE_ROW, Owner: 'old' }]]);
  const old = newExecution(clock, 'b', 'Orch', '2', clock.now(), undefined);
  await table.transact(startTransaction(old, LEGACY_KEYS.of(partitionKeyOf('b'))));
  const legacy = open(hub);
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
