/**
 * Group commit on a real Azurite, through a proxy that loses answers: many instances in ONE partition, so that their
 * steps share transactions, and transactions whose answers never come back (applied, but the engine does not know).
 * Each instance's chain still records every result once, in order, and ends with the right output.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startAzurite, connectionStringFor, type RunningAzurite } from '../../src/host/storage/azurite.js';
import { EventType } from '../../src/durable/instance-state.js';
import { groupCommitTotals } from '../../src/durable/store/azure-tables/storage-metrics.js';
import { DirectInvoker } from '../support/direct-invoker.js';
import { startStorageProxy, type StorageProxy } from '../support/storage-proxy.js';
import { startEngine, uniqueHub, waitForStatus } from './harness.js';

let azurite: RunningAzurite;
let proxy: StorageProxy;

before(async () => {
  azurite = await startAzurite();
  proxy = await startStorageProxy(azurite.tablePort);
});

after(async () => {
  await proxy.close();
  await azurite.stop();
});

const INSTANCES = 40;
const LINKS = 20;

test('forty chains in one partition, the answer of every fifth transaction lost: every result recorded once, every output right', async () => {
  const invoker = new DirectInvoker()
    .activity('Add', (n: number) => n + 1)
    .orchestration('Chain', function* (ctx) {
      let n = ctx.df.getInput<number>();
      for (let i = 0; i < LINKS; i++) n = (yield ctx.df.callActivity('Add', n)) as number;
      return n;
    });
  const engine = await startEngine({ connectionString: connectionStringFor(proxy.port), hub: uniqueHub('group'), invoker, tuning: { partitionCount: 1, maxConcurrentSteps: 32 } });
  const before = groupCommitTotals();
  const ids = await Promise.all(Array.from({ length: INSTANCES }, (_, i) => engine.start('Chain', { instanceId: `chain-${i}`, input: i * 100 })));
  proxy.loseEvery('transaction', 5);
  try {
    for (const [i, id] of ids.entries()) {
      const status = await waitForStatus(engine, id, ['Completed', 'Failed'], 120_000);
      assert.equal(status.runtimeStatus, 'Completed', `${id}: ${JSON.stringify(status.output)}`);
      assert.equal(status.output, i * 100 + LINKS);
      const history = ((await engine.getStatus(id, { showHistory: true }))?.history ?? []) as { EventType: number }[];
      const completed = history.filter((e) => e.EventType === EventType.TaskCompleted);
      assert.equal(completed.length, LINKS, `${id}: each result recorded once`);
    }
  } finally {
    proxy.loseEvery('transaction', 0);
    await engine.shutdown();
  }
  const after = groupCommitTotals();
  assert.ok(proxy.failures().transaction > 0, 'answers were lost');
  assert.ok(after.steps - before.steps > after.transactions - before.transactions, `steps shared transactions (${after.steps - before.steps} steps in ${after.transactions - before.transactions})`);
});
