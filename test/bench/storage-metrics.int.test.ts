/**
 * The storage-call counter the bench divides by ticks: the Table REST shapes are classified by kind, and the policy
 * in HubTable's pipeline sees every call a HubTable makes against a real Azurite.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { classifyStorageCall, storageCallCounts } from '../../src/durable/store/azure-tables/storage-metrics.js';
import { HubTable } from '../../src/durable/store/azure-tables/table-store.js';
import { startAzurite } from '../../src/host/storage/azurite.js';

const base = 'http://127.0.0.1:10002/devstoreaccount1';

test('Table REST requests are classified by kind', () => {
  assert.equal(classifyStorageCall('GET', `${base}/Hub(PartitionKey='a%25b',RowKey='instance')`), 'read');
  assert.equal(classifyStorageCall('GET', `${base}/Hub()?$filter=PartitionKey%20eq%20'a'`), 'query');
  assert.equal(classifyStorageCall('POST', `${base}/$batch`), 'transaction');
  assert.equal(classifyStorageCall('POST', `${base}/Tables`), 'createTable');
  assert.equal(classifyStorageCall('POST', `${base}/Hub`), 'insert');
  assert.equal(classifyStorageCall('PUT', `${base}/Hub(PartitionKey='a',RowKey='b')`), 'update');
  assert.equal(classifyStorageCall('PATCH', `${base}/Hub(PartitionKey='a',RowKey='b')`), 'update');
  assert.equal(classifyStorageCall('DELETE', `${base}/Hub(PartitionKey='a',RowKey='b')`), 'delete');
  assert.equal(classifyStorageCall('HEAD', `${base}/Hub`), 'other');
});

test("HubTable's calls are counted in its pipeline", async () => {
  const azurite = await startAzurite({});
  try {
    const table = new HubTable(azurite.connectionString, 'MetricsHub', pino({ level: 'silent' }), { stopping: () => false, budgetMs: 10_000 });
    const before = storageCallCounts();
    await table.transact([['upsert', { partitionKey: 'p', rowKey: 'r', Value: 1 }]]);
    await table.get('p', 'r');
    await table.list("PartitionKey eq 'p'");
    const after = storageCallCounts();
    const delta = (kind: 'transaction' | 'read' | 'query'): number => (after.calls[kind] ?? 0) - (before.calls[kind] ?? 0);
    assert.equal(delta('transaction'), 1);
    assert.equal(delta('read'), 1);
    assert.equal(delta('query'), 1);
    // The table is created once (createTable) besides the three calls above.
    assert.equal(after.total - before.total, 4);
  } finally {
    await azurite.stop();
  }
});
