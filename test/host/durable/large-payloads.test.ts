/**
 * Large payloads (issue #11): past 60 KiB a payload is stored gzip-compressed in the hub's `<hub>-largemessages` blob
 * container and read back transparently. Real Azurite (tables and blobs), the real engine, the Durable HTTP API and
 * the stock durable-functions client.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { TableClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { startAzurite, type RunningAzurite } from '../../../src/host/storage/azurite.js';
import { partitionKeyOf } from '../../../src/host/durable/keys.js';
import { HASHED_KEYS } from '../../../src/host/durable/store/azure-tables/instance-row-key.js';
import { containerName, decodeMarker, instanceBlobPrefix, LARGE_PAYLOAD_BYTES } from '../../../src/host/durable/store/payloads/payload-marker.js';
import { MAX_PAYLOAD_UNITS } from '../../../src/host/durable/storage-limits.js';
import type { DurableEngineRuntime } from '../../../src/host/durable/types.js';
import { DirectInvoker } from '../../support/direct-invoker.js';
import { serveApi, type ServedApi } from './http-api/harness.js';
import { startEngine, uniqueHub, waitFor, waitForStatus } from './harness.js';

let azurite: RunningAzurite;
let engine: DurableEngineRuntime;
let served: ServedApi;
const hub = uniqueHub('large');

const invoker = new DirectInvoker()
  .activity('Echo', (text: string) => `${text}|echoed`)
  .orchestration('Big', function* (ctx) {
    const input = ctx.df.getInput() as string;
    const echoed = (yield ctx.df.callActivity('Echo', input)) as string;
    if (echoed !== `${input}|echoed`) throw new Error(`the activity result came back with ${echoed.length} characters`);
    ctx.df.setCustomStatus(`${input}|status`);
    const event = (yield ctx.df.waitForExternalEvent('Go')) as string;
    return `${event}|output`;
  })
  .orchestration('Plain', function* (ctx) {
    return ctx.df.getInput();
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

async function blobsOf(instanceId: string): Promise<string[]> {
  const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(containerName(hub));
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
    assert.equal(await client.startNew('Big', { instanceId: id, input }), id);
    const waiting = await waitFor(async () => {
      const status = await client.getStatus(id, { showInput: false });
      return status.customStatus !== null && status.customStatus !== undefined ? status : undefined;
    }, `${id} to set its custom status`, 60_000);
    assert.equal(waiting.customStatus, `${input}|status`);
    assert.ok((await blobsOf(id)).length >= 3, 'the payloads went to blobs');
    await client.raiseEvent(id, 'Go', event);
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
  const rowOf = (id: string) => table.getEntity<Record<string, unknown>>(partitionKeyOf(id), HASHED_KEYS.of(partitionKeyOf(id)));
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

test('orphans of a crash between blob write and commit are removed by the purge; a recreated instance drops its old blobs', async () => {
  const id = 'orphaned/\u00e9';
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
