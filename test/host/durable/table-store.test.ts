/** The hub's table on a real Azurite: it comes back by itself when the storage behind it was wiped. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { HubTable } from '../../../src/host/durable/table-store.js';
import { startAzurite } from '../../../src/host/storage/azurite.js';

test('a wiped table is created again and the store keeps working (reads, writes, lists)', async () => {
  const azurite = await startAzurite();
  try {
    const lines: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
    const table = new HubTable(azurite.connectionString, 'WipedHub', logger, { stopping: () => false, budgetMs: 10_000 });
    await table.transact([['create', { partitionKey: 'p', rowKey: 'a', Value: 1 }]]);
    assert.equal((await table.get('p', 'a'))?.Value, 1);

    await table.client.deleteTable();

    assert.equal(await table.get('p', 'a'), undefined, 'the wiped row is gone, and no error');
    await table.transact([['create', { partitionKey: 'p', rowKey: 'b', Value: 2 }]]);
    assert.deepEqual((await table.list("PartitionKey eq 'p'")).map((r) => r.Value), [2]);
    assert.ok(lines.some((l) => l.includes('the task hub table is gone')), 'the recreation is logged');
  } finally {
    await azurite.stop();
  }
});
