/** The hub's table on a real Azurite: it comes back by itself when the storage behind it was wiped. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { ConflictError, HubTable } from '../../../../src/durable/store/azure-tables/table-store.js';
import { isTransient } from '../../../../src/durable/store/storage-failures.js';
import { startAzurite } from '../../../../src/host/storage/azurite.js';

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

test('only network errors, 408, 429 and 5xx are transient; an error without a status that is not a network error is not', () => {
  const withStatus = (statusCode: number): Error => Object.assign(new Error(`status ${statusCode}`), { statusCode });
  const withCode = (code: string): Error => Object.assign(new Error(code), { code });
  for (const err of [withStatus(408), withStatus(429), withStatus(500), withStatus(503), withCode('ECONNRESET'), withCode('ECONNREFUSED'), withCode('REQUEST_SEND_ERROR')]) {
    assert.equal(isTransient(err), true, err.message);
  }
  const wrapped = Object.assign(new Error('fetch failed'), { cause: withCode('ETIMEDOUT') });
  assert.equal(isTransient(wrapped), true, 'a network error as the cause');
  for (const err of [withStatus(400), withStatus(404), withStatus(413), new SyntaxError('Unexpected token in JSON'), new Error('bad continuation token'), new ConflictError(412, 'x')]) {
    assert.equal(isTransient(err), false, err.message);
  }
});

test('a garbage continuation token fails at once instead of being retried as a storage outage', async () => {
  const azurite = await startAzurite();
  try {
    const table = new HubTable(azurite.connectionString, 'TokenHub', pino({ level: 'silent' }), { stopping: () => false, budgetMs: 20_000 });
    await table.transact([['create', { partitionKey: 'p', rowKey: 'a' }]]);
    const started = Date.now();
    await assert.rejects(table.page("PartitionKey eq 'p'", 1, 'not-a-token'));
    assert.ok(Date.now() - started < 2_000, `refused in ${Date.now() - started} ms`);
  } finally {
    await azurite.stop();
  }
});
