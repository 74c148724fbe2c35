/** Defects found by reading the engine against crashes and hostile input, each pinned by a test on a real Azurite. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectionStringFor } from '../../src/host/storage/azurite.js';
import { useAzurite } from '../support/azurite.js';
import { TableClient, type TransactionAction } from '@azure/data-tables';
import { externalMessageKey, INSTANCE_ROW } from '../../src/durable/keys.js';
import { freshState } from '../../src/durable/instance-state.js';
import { readPartition } from '../../src/durable/store/azure-tables/partition-snapshot.js';
import { DEFAULT_PARTITIONS, groupedLayout } from '../../src/durable/store/azure-tables/hub-layout.js';
import { buildTransaction } from '../../src/durable/store/azure-tables/step-transaction.js';
import { HubTable } from '../../src/durable/store/azure-tables/table-store.js';
import { inboxEntity, startTransaction } from '../../src/durable/store/azure-tables/inbox-rows.js';
import { newExecution } from '../../src/durable/instance-start.js';
import { MAX_NAME_UNITS, MAX_PAYLOAD_UNITS } from '../../src/durable/storage-limits.js';
import { PayloadTooLargeError } from '../../src/durable/errors.js';
import { SystemClock } from '../../src/durable/clock/system-clock.js';
import { DirectInvoker } from '../support/direct-invoker.js';
import { settle, startEngine, testLogger, uniqueHub, waitForStatus } from './harness.js';

const azurite = useAzurite();

test('payloads the task hub cannot store are refused with PayloadTooLargeError before anything is written', async () => {
  const invoker = new DirectInvoker().orchestration('Waiter', function* (ctx) {
    return (yield ctx.df.waitForExternalEvent('Go')) as unknown;
  });
  const engine = await startEngine({ connectionString: azurite.connectionString, invoker });
  try {
    const big = 'x'.repeat(MAX_PAYLOAD_UNITS);
    await assert.rejects(engine.start('Waiter', { instanceId: 'too-big', input: big }), (err: unknown) => {
      assert.ok(err instanceof PayloadTooLargeError);
      assert.equal(err.code, 'PAYLOAD_TOO_LARGE');
      assert.equal(err.field, 'input');
      assert.equal(err.units, MAX_PAYLOAD_UNITS + 2);
      assert.equal(err.limit, MAX_PAYLOAD_UNITS);
      return true;
    });
    assert.equal(await engine.getStatus('too-big'), undefined, 'nothing stored');
    const id = await engine.start('Waiter', { instanceId: 'fits', input: 'x'.repeat(MAX_PAYLOAD_UNITS - 2) });
    await waitForStatus(engine, id, ['Running']);
    await assert.rejects(engine.raiseEvent(id, 'Go', big), { code: 'PAYLOAD_TOO_LARGE', field: 'data' }, 'event data');
    await assert.rejects(engine.raiseEvent(id, 'G'.repeat(MAX_NAME_UNITS + 1), 1), { code: 'PAYLOAD_TOO_LARGE', field: 'eventName' }, 'event name');
    await assert.rejects(engine.terminate(id, `${big}!`), { code: 'PAYLOAD_TOO_LARGE', field: 'reason' }, 'reason');
    await engine.raiseEvent(id, 'Go', 'ok');
    assert.equal((await waitForStatus(engine, id, ['Completed', 'Failed'])).output, 'ok');
  } finally {
    await engine.shutdown();
  }
});

test('no poison instance: a start that can never be stored as a step fails only its instance, payload-free, and can be purged', async () => {
  const invoker = new DirectInvoker()
    .activity('Echo', (v: string) => v)
    .orchestration('Echoer', function* (ctx) {
      return (yield ctx.df.callActivity('Echo', ctx.df.getInput())) as unknown;
    });
  const hub = uniqueHub('poison');
  // As an older version (or another writer) left it: a Pending instance whose start message is almost 1 MiB.
  const table = TableClient.fromConnectionString(azurite.connectionString, hub, { allowInsecureConnection: true });
  await table.createTable();
  const clock = new SystemClock();
  // A new hub: the engine keeps instances in shared partitions (hub-layout.ts).
  const layout = groupedLayout(DEFAULT_PARTITIONS);
  const started = newExecution(clock, 'poisoned', 'Echoer', JSON.stringify('small'), clock.now(), undefined);
  const row = startTransaction(started, layout)[0]?.[1] ?? { partitionKey: '', rowKey: '' };
  const executionId = String(row.ExecutionId);
  const huge = JSON.stringify('p'.repeat(490_000));
  await table.submitTransaction([
    ['create', row],
    ['create', inboxEntity(layout, 'poisoned', started.start.rowKey, clock.now(), { type: 'start', executionId, name: 'Echoer', input: huge })],
  ]);
  // A storage without a blob service (a connection string naming the table endpoint only): large payloads stay in
  // their rows, so this one cannot be stored (with blobs it would be, see large-payloads.int.test.ts).
  const engine = await startEngine({ connectionString: connectionStringFor(azurite.tablePort), invoker, hub });
  try {
    const healthy = await engine.start('Echoer', { instanceId: 'healthy', input: 'fine' });
    const failed = await waitForStatus(engine, 'poisoned', ['Failed'], 15_000);
    assert.match(String(failed.output), /exceeds Azure Table limits \(a row of \d+ bytes\)/);
    assert.equal(failed.input, undefined, 'the failure record carries no payload');
    assert.ok(JSON.stringify(failed).length < 2_000);
    assert.equal((await waitForStatus(engine, healthy, ['Completed', 'Failed'])).output, 'fine', 'other instances never notice');
    assert.equal(await engine.purge('poisoned'), 1);
    assert.equal(await engine.getStatus('poisoned'), undefined);
  } finally {
    await engine.shutdown();
  }
});

test('a sub-orchestration the storage refuses to create fails the parent task with the reason (the parent never waits forever)', async () => {
  const invoker = new DirectInvoker()
    .orchestration('Child', function* () {
      return 'child ran';
    })
    .orchestration('Parent', function* (ctx) {
      try {
        // An id longer than a PartitionKey may be: the storage answers 400.
        yield ctx.df.callSubOrchestrator('Child', null, 'c'.repeat(2_000));
        return 'unexpected';
      } catch (err) {
        return `caught: ${(err as Error).message}`;
      }
    });
  const engine = await startEngine({ connectionString: azurite.connectionString, invoker });
  try {
    const id = await engine.start('Parent', {});
    const status = await waitForStatus(engine, id, ['Completed', 'Failed'], 15_000);
    assert.equal(status.runtimeStatus, 'Completed');
    assert.match(String(status.output), /^caught: .*could not be created: the storage refused it: 400/);
  } finally {
    await engine.shutdown();
  }
});

test('a partition read over several pages is a snapshot: a commit between two pages makes it read again', async () => {
  const table = new HubTable(azurite.connectionString, uniqueHub('pages'), testLogger(), { stopping: () => false, budgetMs: 10_000 });
  const clock = new SystemClock();
  const layout = groupedLayout(DEFAULT_PARTITIONS);
  const pk = layout.partitionOf('paged');
  const instanceRow = layout.rowKeyOf('paged', INSTANCE_ROW);
  await table.transact(startTransaction(newExecution(clock, 'paged', 'Any', undefined, clock.now(), undefined), layout));
  // More rows than one page holds (1,000).
  for (let batch = 0; batch < 11; batch++) {
    await table.transact(
      Array.from({ length: 100 }, (_, i): TransactionAction => ['create', inboxEntity(layout, 'paged', externalMessageKey(clock.now(), `${batch}-${i}`), clock.now(), { type: 'resume', reason: '' })]),
    );
  }
  const original = table.client.listEntities.bind(table.client);
  let interfered = 0;
  table.client.listEntities = ((options?: Parameters<typeof original>[0]) => {
    const pages = original(options).byPage();
    const changing = (async function* () {
      for await (const page of pages) {
        yield page;
        if (interfered++ === 0) await table.client.updateEntity({ partitionKey: pk, rowKey: instanceRow, RuntimeStatus: 'Running' }, 'Merge');
      }
    })();
    return { byPage: () => changing };
  }) as unknown as typeof table.client.listEntities;
  const snap = await readPartition(table, 'paged', layout);
  table.client.listEntities = original;
  assert.ok(interfered >= 2, 'the read took more than one page');
  assert.equal(snap.record?.status, 'Running', 'the record after the commit, not before');
  assert.equal(snap.record?.etag, (await table.get(pk, instanceRow))?.etag, 'the ETag belongs to the rows read');
  assert.equal(snap.inbox.length, 1_101, '1,100 messages and the start message');
});

test('a transaction is sized by its UTF-8 bytes on the wire (the 4 MiB limit), an entity by its UTF-16 units (1 MiB)', () => {
  const record = { instanceId: 'u', name: 'N', status: 'Running' as const, executionId: 'e', createdTime: 0, lastUpdatedTime: 0, historySeq: 0, outboxSeq: 0, state: freshState(), etag: 'W/"x"' };
  const snap = { partitionKey: 'u', record, history: [], historyRows: [], inbox: [], outbox: [], staleHistory: [] };
  // Eight events of 200,000 three-byte characters: 3.2 MB as UTF-16 (fits), 4.8 MB as UTF-8 on the wire (does not).
  const wide = '€'.repeat(200_000);
  const events = Array.from({ length: 8 }, (_, i) => ({ EventType: 15, EventId: -1, IsPlayed: false, Timestamp: '', Name: `e${i}`, Input: wide }));
  const plan = { record, historyExecutionId: 'e', historyEvents: events, consumed: [], inputs: 8, inboxInserts: [], outbox: [], activities: [] };
  const built = buildTransaction(snap, plan, groupedLayout(DEFAULT_PARTITIONS));
  assert.match(built.tooLarge ?? '', /a transaction of \d+ bytes/);
  const narrow = buildTransaction(snap, { ...plan, historyEvents: events.map((e) => ({ ...e, Input: 'a'.repeat(200_000) })) }, groupedLayout(DEFAULT_PARTITIONS));
  assert.equal(narrow.tooLarge, undefined, 'the same text in ASCII fits');
});

test('writes through the standby (a second engine on the hub, not the lease owner) reach the owner within a second', async () => {
  const hub = uniqueHub('standby');
  const invoker = new DirectInvoker().orchestration('Listener', function* (ctx) {
    const ping = (yield ctx.df.waitForExternalEvent('Ping')) as string;
    return `heard ${ping}`;
  });
  // The owner sees the standby's presence at its safety scan (here every 3 s); from then on the standby's writes wake
  // it within its 500 ms poll, where before they waited for the next scan.
  const tuning = { safetyScanIntervalMs: 3_000 };
  const owner = await startEngine({ connectionString: azurite.connectionString, invoker, hub, workerId: 'owner', tuning });
  const standby = await startEngine({ connectionString: azurite.connectionString, invoker, hub, workerId: 'standby', tuning });
  const within = async (what: string, ms: number, work: () => Promise<unknown>): Promise<void> => {
    const started = Date.now();
    await work();
    assert.ok(Date.now() - started < ms, `${what}: ${Date.now() - started} ms`);
  };
  try {
    await settle(3_500); // one scan of the owner after the standby's first presence row
    for (let i = 0; i < 3; i++) {
      const id = `via-standby-${i}`;
      await within(`start ${i}`, 1_000, async () => {
        await standby.start('Listener', { instanceId: id });
        await waitForStatus(owner, id, ['Running'], 3_000);
      });
      await within(`event ${i}`, 1_000, async () => {
        await standby.raiseEvent(id, 'Ping', 'the standby');
        assert.equal((await waitForStatus(owner, id, ['Completed'], 3_000)).output, 'heard the standby');
      });
      await settle(700); // not in step with the scan
    }
    const other = await standby.start('Listener', { instanceId: 'ended-via-standby' });
    await waitForStatus(owner, other, ['Running'], 3_000);
    await within('terminate', 1_000, async () => {
      await standby.terminate(other, 'stop');
      await waitForStatus(owner, other, ['Terminated'], 3_000);
    });
  } finally {
    await standby.shutdown();
    await owner.shutdown();
  }
});
