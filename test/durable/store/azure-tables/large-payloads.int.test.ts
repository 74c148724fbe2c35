/**
 * Large payloads (issue #11): past 60,000 bytes a payload is stored gzip-compressed in the hub's `<hub>-largemessages` blob
 * container and read back transparently. Real Azurite (tables and blobs), the real engine, the Durable HTTP API and
 * the stock durable-functions client.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { TableClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { connectionStringFor, startAzurite, type RunningAzurite } from '../../../../src/host/storage/azurite.js';
import { createDurableEngine } from '../../../../src/durable/engine.js';
import { SystemClock } from '../../../../src/durable/clock/system-clock.js';
import { startStorageProxy } from '../../../support/storage-proxy.js';
import fc from 'fast-check';
import { createAzureTablesStore } from '../../../../src/durable/store/azure-tables/azure-tables-store.js';
import { MemoryStore } from '../../../../src/durable/store/memory/memory-store.js';
import type { HubStore } from '../../../../src/durable/store/hub-store.js';
import { newExecution } from '../../../../src/durable/instance-start.js';
import { fuzzParameters } from '../../../support/fuzz.js';
import { INSTANCE_ROW } from '../../../../src/durable/keys.js';
import { readHubLayout } from '../../../../src/durable/store/azure-tables/hub-layout.js';
import { HubTable } from '../../../../src/durable/store/azure-tables/table-store.js';
import { containerName, decodeMarker, instanceBlobPrefix, LARGE_PAYLOAD_BYTES } from '../../../../src/durable/store/payloads/payload-marker.js';
import { MAX_PAYLOAD_UNITS } from '../../../../src/durable/storage-limits.js';
import type { DurableEngineRuntime } from '../../../../src/durable/engine-api.js';
import { DirectInvoker } from '../../../support/direct-invoker.js';
import { serveApi, type ServedApi } from '../../../host/durable-http-api/harness.js';
import { startEngine, testLogger, uniqueHub, waitFor, waitForStatus } from '../../harness.js';

let azurite: RunningAzurite;
let engine: DurableEngineRuntime;
let served: ServedApi;
const hub = uniqueHub('large');

const invoker = new DirectInvoker()
  .activity('Echo', (text: string) => `${text}|echoed`)
  .orchestration('Big', function* (ctx) {
    const input = ctx.df.getInput<string>();
    const echoed = (yield ctx.df.callActivity('Echo', input)) as string;
    if (echoed !== `${input}|echoed`) throw new Error(`the activity result came back with ${echoed.length} characters`);
    ctx.df.setCustomStatus(`${input}|status`);
    const event = (yield ctx.df.waitForExternalEvent('Go')) as string;
    return `${event}|output`;
  })
  .orchestration('Plain', function* (ctx) {
    return ctx.df.getInput();
  })
  .orchestration('Parent', function* (ctx) {
    // Through the outbox: the child's creation and its result to the parent carry the payload.
    const fromChild = (yield ctx.df.callSubOrchestrator('Plain', ctx.df.getInput(), `${ctx.df.instanceId}-child`)) as string;
    return `${fromChild}|parent`;
  })
  .orchestration('Eternal', function* (ctx) {
    const { n, pad } = ctx.df.getInput<{ n: number; pad: string }>();
    const echoed = (yield ctx.df.callActivity('Echo', pad)) as string;
    if (n >= 6) return echoed.length;
    ctx.df.continueAsNew({ n: n + 1, pad: payload(`round${n + 1}`, 100_000) });
    return undefined;
  });

before(async () => {
  azurite = await startAzurite();
  engine = await startEngine({ connectionString: azurite.connectionString, invoker, hub });
  served = await serveApi(engine);
});

after(async () => {
  await served?.close();
  await engine?.shutdown();
  await azurite?.stop();
});

async function blobsOf(instanceId: string, hubName = hub): Promise<string[]> {
  const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(containerName(hubName));
  const names: string[] = [];
  try {
    for await (const blob of container.listBlobsFlat({ prefix: instanceBlobPrefix(instanceId) })) names.push(blob.name);
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return []; // no large payload stored in this hub yet
    throw err;
  }
  return names;
}

/** A payload of `units` characters, different per role and size (so that a mix-up shows). */
function payload(role: string, units: number): string {
  const head = `${role}:${units}:`;
  return head + 'abcdefghij'.repeat(Math.ceil(units / 10)).slice(0, units - head.length);
}

const MB = 1024 * 1024;
for (const size of [1, 5, 10]) {
  test(`${size} MB of start input, activity input and result, custom status, event and output round-trip; purge leaves no blob`, async () => {
    const client = served.client();
    const id = `big-${size}`;
    const input = payload('input', size * MB);
    const event = payload('event', size * MB);
    // The stock client for 1 and 10 MB; plain HTTP requests to the webhook API for 5 MB.
    const viaHttp = size === 5;
    const hook = `${served.baseUrl}/runtime/webhooks/durabletask`;
    const post = (url: string, body: string) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    if (viaHttp) assert.equal((await post(`${hook}/orchestrators/Big/${id}`, JSON.stringify(input))).status, 202);
    else assert.equal(await client.startNew('Big', { instanceId: id, input }), id);
    const waiting = await waitFor(async () => {
      const status = await client.getStatus(id, { showInput: false });
      return status.customStatus !== null && status.customStatus !== undefined ? status : undefined;
    }, `${id} to set its custom status`, 60_000);
    assert.equal(waiting.customStatus, `${input}|status`);
    assert.ok((await blobsOf(id)).length >= 3, 'the payloads went to blobs');
    if (viaHttp) assert.equal((await post(`${hook}/instances/${id}/raiseEvent/Go`, JSON.stringify(event))).status, 202);
    else await client.raiseEvent(id, 'Go', event);
    await waitForStatus(engine, id, ['Completed', 'Failed'], 60_000);
    const done = await client.getStatus(id, { showInput: true });
    assert.equal(done.runtimeStatus, 'Completed', String(done.output).slice(0, 300));
    assert.equal(done.input, input);
    assert.equal(done.output, `${event}|output`);
    assert.equal(done.customStatus, `${input}|status`);

    const purged = await client.purgeInstanceHistory(id);
    assert.equal(purged.instancesDeleted, 1);
    assert.deepEqual(await blobsOf(id), [], 'nothing left in the blob container for the instance');
  });
}

test('a payload just under the threshold stays in its row; just over, it goes to a blob', async () => {
  const table = TableClient.fromConnectionString(azurite.connectionString, hub, { allowInsecureConnection: true });
  const layout = await readHubLayout(new HubTable(azurite.connectionString, hub, testLogger(), { stopping: () => false }));
  const rowOf = (id: string) => table.getEntity<Record<string, unknown>>(layout.partitionOf(id), layout.rowKeyOf(id, INSTANCE_ROW));
  // JSON text of a string: its characters plus two quotes, one UTF-8 byte each here.
  const under = 'u'.repeat(LARGE_PAYLOAD_BYTES - 2);
  const over = 'o'.repeat(LARGE_PAYLOAD_BYTES - 1);
  await engine.start('Plain', { instanceId: 'under', input: under });
  await engine.start('Plain', { instanceId: 'over', input: over });
  assert.equal(decodeMarker((await rowOf('under')).Input), undefined);
  assert.ok(decodeMarker((await rowOf('over')).Input), 'a marker names the blob');
  assert.equal((await waitForStatus(engine, 'under', ['Completed'])).output, under);
  assert.equal((await waitForStatus(engine, 'over', ['Completed'])).output, over);
  assert.equal((await engine.getStatus('over', { showInput: true }))?.input, over);
  // The start message and the history row wrap the input in more JSON: those cross the threshold, the row's Input not.
  assert.deepEqual((await blobsOf('under')).filter((name) => name.startsWith('under/input-')), []);
  assert.equal((await blobsOf('over')).filter((name) => name.startsWith('over/input-')).length, 1, 'one blob, not one per step');
});

test('a sub-orchestration takes and returns 1 MB through the outbox; purging both leaves no blob', async () => {
  const input = payload('sub', MB);
  await engine.start('Parent', { instanceId: 'parent', input });
  const done = await waitForStatus(engine, 'parent', ['Completed', 'Failed'], 30_000);
  assert.equal(done.output, `${input}|parent`);
  assert.equal((await engine.getStatus('parent-child', { showInput: true }))?.input, input);
  assert.equal(await engine.purge('parent'), 1);
  assert.equal(await engine.purge('parent-child'), 1);
  assert.deepEqual([...(await blobsOf('parent')), ...(await blobsOf('parent-child'))], []);
});

test('an eternal orchestration with large inputs keeps a bounded number of blobs: replaced and deleted rows take theirs along', async () => {
  const id = 'eternal';
  await engine.start('Eternal', { instanceId: id, input: { n: 0, pad: payload('round0', 100_000) } });
  assert.equal((await waitForStatus(engine, id, ['Completed', 'Failed'], 30_000)).output, 100_000 + '|echoed'.length);
  // The last execution's input (instance row and history) and its history rows; not six executions' worth. (The
  // replaced blobs go right after each commit: the status may be read before the last of them is deleted.)
  let left: string[] = [];
  await waitFor(async () => ((left = await blobsOf(id)).length <= 4 ? true : undefined), 'the replaced blobs to go', 15_000).catch(() => undefined);
  assert.ok(left.length > 0 && left.length <= 4, `blobs left: ${left.join(', ')}`);
  assert.equal(await engine.purge(id), 1);
  assert.deepEqual(await blobsOf(id), []);
});

test('orphans of a crash between blob write and commit are removed by the purge; a recreated instance drops its old blobs', async () => {
  // Characters a partition key and a blob name both escape ('/' is no instance id: the extension refuses it).
  const id = 'orphaned~%\u00e9';
  const first = payload('first', 200_000);
  await engine.start('Plain', { instanceId: id, input: first });
  assert.equal((await waitForStatus(engine, id, ['Completed'])).output, first);
  const old = await blobsOf(id);
  assert.ok(old.length >= 1);
  // Recreated: the ended execution's blobs go once the new one replaced it.
  const second = payload('second', 300_000);
  await engine.start('Plain', { instanceId: id, input: second });
  assert.equal((await waitForStatus(engine, id, ['Completed'])).output, second);
  const now = await blobsOf(id);
  assert.deepEqual(now.filter((name) => old.includes(name)), [], 'no blob of the first execution is left');
  // Recreated with the same input: whatever blob the new rows name stays readable.
  await engine.start('Plain', { instanceId: id, input: second });
  assert.equal((await waitForStatus(engine, id, ['Completed'])).output, second);
  assert.equal((await engine.getStatus(id, { showInput: true }))?.input, second);
  // As a crash after the blob write and before the commit leaves it: a blob no row names.
  const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(containerName(hub));
  await container.getBlockBlobClient(`${instanceBlobPrefix(id)}orphan.json.gz`).uploadData(Buffer.from('x'));
  assert.equal(await engine.purge(id), 1);
  assert.deepEqual(await blobsOf(id), []);
});

test(`over the limit (${MAX_PAYLOAD_UNITS} characters of JSON) the HTTP API answers 413 with a JSON body naming it`, async () => {
  const body = JSON.stringify('x'.repeat(MAX_PAYLOAD_UNITS));
  const res = await fetch(`${served.baseUrl}/runtime/webhooks/durabletask/orchestrators/Plain/too-big`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  assert.equal(res.status, 413);
  const answer = (await res.json()) as { code: string; message: string };
  assert.equal(answer.code, 'PAYLOAD_TOO_LARGE');
  assert.match(answer.message, new RegExp(`limit of ${MAX_PAYLOAD_UNITS} characters`));
  assert.equal(await engine.getStatus('too-big'), undefined, 'nothing stored');
});

/** An engine in its own process (test/durable/fixtures/engine-process.ts), for kill -9. */
function spawnEngine(connectionString: string, crashHub: string, workerId: string): { child: ChildProcess; ready: Promise<void> } {
  const child = spawn(process.execPath, [path.join(__dirname, '..', '..', 'fixtures', 'engine-process.js')], {
    env: { ...process.env, CONN: connectionString, HUB: crashHub, WORKER_ID: workerId, EXEC_LOG: path.join(tmpdir(), `large-${process.pid}.log`), LEASE_MS: '2000' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve();
    });
    child.once('exit', (code, signal) => reject(new Error(`engine process exited early (${code ?? signal})`)));
  });
  ready.catch(() => undefined);
  return { child, ready };
}

test('kill -9 between the blob write and the commit leaves no dangling reference; the instance completes after a restart', async () => {
  const crashHub = uniqueHub('crash');
  // The child's table calls go through a proxy that holds its commits ($batch); its blob calls go straight to Azurite.
  const proxy = await startStorageProxy(azurite.tablePort);
  const client = createDurableEngine({
    connectionString: azurite.connectionString,
    taskHubName: crashHub,
    invoker: new DirectInvoker(),
    clock: new SystemClock(),
    logger: testLogger(),
    workerId: 'client',
  });
  const children: ChildProcess[] = [];
  try {
    const input = payload('crash', 300_000);
    await client.start('LargeEcho', { instanceId: 'crashing', input });
    const before = await blobsOf('crashing', crashHub);
    proxy.hold('transaction');
    const first = spawnEngine(connectionStringFor(proxy.port, '127.0.0.1', azurite.blobPort), crashHub, 'first');
    children.push(first.child);
    await first.ready;
    await waitFor(async () => (proxy.held() > 0 ? true : undefined), 'the first step\'s commit to be sent', 20_000);
    const exited = once(first.child, 'exit');
    first.child.kill('SIGKILL');
    await exited;
    proxy.hold(undefined);
    // The step's history blob was written; its commit never arrived: an orphan, and the rows name only what exists.
    const orphans = (await blobsOf('crashing', crashHub)).filter((name) => !before.includes(name));
    assert.ok(orphans.length >= 1, 'the blob was written before the commit');
    const status = await client.getStatus('crashing', { showInput: true, showHistory: true });
    assert.equal(status?.runtimeStatus, 'Pending');
    assert.equal(status?.input, input, 'every reference the rows hold resolves');

    const second = spawnEngine(azurite.connectionString, crashHub, 'second');
    children.push(second.child);
    await second.ready;
    const done = await waitForStatus(client, 'crashing', ['Completed', 'Failed'], 30_000);
    assert.equal(done.runtimeStatus, 'Completed');
    assert.equal(done.output, input);
    assert.equal(await client.purge('crashing'), 1);
    assert.deepEqual(await blobsOf('crashing', crashHub), [], 'the purge removed the orphans too');
  } finally {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await client.shutdown();
    await proxy.close();
  }
});

test('any payload of any size round-trips through the Azure store (blobs) as through its memory twin', async () => {
  const azure = createAzureTablesStore(azurite.connectionString, uniqueHub('twin'), testLogger(), { stopping: () => false });
  const memory = new MemoryStore();
  const clock = new SystemClock();
  // Any UTF-16 content (lone surrogates included: JSON.stringify escapes them), from empty to ~4× the threshold.
  const text = fc
    .tuple(fc.string({ minLength: 1, maxLength: 32, unit: 'binary' }), fc.integer({ min: 0, max: 4 * LARGE_PAYLOAD_BYTES }))
    .map(([piece, size]) => piece.repeat(Math.ceil(size / piece.length)).slice(0, size));
  let n = 0;
  await fc.assert(
    fc.asyncProperty(text, text, async (input, data) => {
      const id = `twin-${n++}`;
      const execution = newExecution(clock, id, 'Plain', JSON.stringify(input), 0, undefined);
      const read = async (store: HubStore) => {
        await store.startInstance(execution.record, execution.start);
        await store.insertMessage(id, { rowKey: 'i~e~1', at: 1, message: { type: 'event', event: { EventType: 15, Name: 'E', Input: JSON.stringify(data) } } });
        const record = await store.readInstance(id);
        const inbox = await store.readInbox(id);
        return { input: record?.input, messages: inbox.map((e) => e.message) };
      };
      const [fromAzure, fromMemory] = [await read(azure), await read(memory)];
      assert.equal(fromAzure.input, JSON.stringify(input));
      assert.deepEqual(fromAzure, fromMemory);
    }),
    fuzzParameters({ numRuns: 12 }, 'azure store vs memory twin'),
  );
});

test('a start refused because the id is taken leaves no blob of its large input', async () => {
  const id = 'refused-big';
  await engine.start('Big', { instanceId: id, input: 'small' });
  await waitForStatus(engine, id, ['Running']);
  const before = await blobsOf(id);
  for (let i = 0; i < 3; i++) {
    await assert.rejects(engine.start('Big', { instanceId: id, input: payload('refused', 200_000) }), /already exists/);
  }
  assert.deepEqual(await blobsOf(id), before, 'no orphan of the refused starts');
  await engine.terminate(id, 'done');
});

test('a start or event whose storage answer was lost is the caller\'s own (not "already exists" nor an error), its blobs kept', async () => {
  const proxy = await startStorageProxy(azurite.tablePort);
  const lostHub = uniqueHub('lostStart');
  const proxied = await startEngine({ connectionString: connectionStringFor(proxy.port, '127.0.0.1', azurite.blobPort), invoker, hub: lostHub });
  try {
    const input = payload('lost', 200_000);
    proxy.loseNext('transaction'); // the start's commit lands, its answer never comes; the retry meets the row
    const id = await proxied.start('Big', { instanceId: 'lost-answer', input });
    assert.equal(id, 'lost-answer');
    const status = await waitForStatus(proxied, id, ['Running']);
    assert.equal(status.input, input, 'the input read back from its blob');
    assert.equal(proxy.counts().transaction > 1, true, 'the commit was retried');
    // The same for a raised event: its insert lands, the answer is lost, the retry meets its own row (409).
    await waitFor(async () => ((await proxied.getStatus(id))?.customStatus !== undefined ? true : undefined), 'the orchestration to wait for Go');
    const before = proxy.counts().transaction;
    proxy.loseNext('transaction');
    await proxied.raiseEvent(id, 'Go', 'once');
    assert.ok(proxy.counts().transaction >= before + 2, 'the insert was retried');
    assert.equal((await waitForStatus(proxied, id, ['Completed'])).output, 'once|output');
  } finally {
    await proxied.shutdown();
    await proxy.close();
  }
});
