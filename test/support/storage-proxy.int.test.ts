// The storage proxy the engine's tests count calls with: what it counts as a failure the client may repeat.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { useProxiedAzurite } from './azurite.js';

const { proxy } = useProxiedAzurite();

test('a round trip whose answer is lost counts as a failure; an answered one, even a 4xx, does not', async () => {
  proxy.reset();
  const url = `http://127.0.0.1:${proxy.port}/devstoreaccount1/Nope(PartitionKey='a',RowKey='b')`;
  const answered = await fetch(url);
  await answered.arrayBuffer();
  assert.ok(answered.status >= 400 && answered.status < 500 && answered.status !== 408 && answered.status !== 429, `Azurite answered ${answered.status}`);
  proxy.loseNext('get');
  await assert.rejects(fetch(url), 'the client sees the connection reset');
  assert.deepEqual(proxy.counts(), { transaction: 0, query: 0, get: 2, write: 0, table: 0 });
  // 'close' of the lost answer may come a moment after the client's error.
  for (let i = 0; i < 50 && proxy.failures().get === 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(proxy.failures(), { transaction: 0, query: 0, get: 1, write: 0, table: 0 });
  proxy.reset();
  assert.deepEqual(proxy.failures(), { transaction: 0, query: 0, get: 0, write: 0, table: 0 });
});
