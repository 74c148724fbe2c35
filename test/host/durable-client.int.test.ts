/**
 * The stock DurableClient from `durable-functions`, made from the embedded host's own durableClient binding data,
 * drives an app running in the embedded host on a real Azurite: start, status, raise event, terminate, purge.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import * as df from 'durable-functions';
import { createTestEnvironment, type TestEnvironment } from '../../src/host/testing/test-environment.js';
import { stockClient } from '../support/stock-client.js';

const appDir = path.resolve(__dirname, '..', '..', '..', 'test', 'host', 'fixtures', 'sample-app');
let env: TestEnvironment;
let client: df.DurableClient;

before(async () => {
  env = await createTestEnvironment({ appDir, taskHubName: 'StockClient' });
  client = stockClient(env.host.durableApi.clientBindingData(), 'test');
});

after(async () => {
  await env?.teardown();
});

async function settle(instanceId: string, wanted: df.OrchestrationRuntimeStatus): Promise<df.DurableOrchestrationStatus> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const status = await client.getStatus(instanceId);
    if (status.runtimeStatus === wanted) return status;
    if (Date.now() > deadline) throw new Error(`${instanceId} is ${status.runtimeStatus}, not ${wanted}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('startNew runs an orchestration to completion and getStatus reports its output', async () => {
  const id = await client.startNew('helloSequence', { instanceId: 'hello-1' });
  assert.equal(id, 'hello-1');
  const done = await settle(id, df.OrchestrationRuntimeStatus.Completed);
  assert.deepEqual(done.output, ['Hello Tokyo!', 'Hello Seattle!']);
  assert.equal(done.name, 'helloSequence');
});

test('raiseEvent delivers data to a waiting orchestration', async () => {
  const id = await client.startNew('awaitApproval', { instanceId: 'approval-1' });
  const waiting = await settle(id, df.OrchestrationRuntimeStatus.Running);
  assert.equal(waiting.customStatus, 'waiting for approval');
  await client.raiseEvent(id, 'approval', { by: 'ops', ok: true });
  const done = await settle(id, df.OrchestrationRuntimeStatus.Completed);
  assert.deepEqual(done.output, { approved: { by: 'ops', ok: true } });
});

test('terminate ends a sleeping orchestration; purge removes it; a purged id is unknown', async () => {
  const id = await client.startNew('sleepALongTime', { instanceId: 'sleeper-1' });
  await settle(id, df.OrchestrationRuntimeStatus.Running);
  await client.terminate(id, 'no longer needed');
  const terminated = await settle(id, df.OrchestrationRuntimeStatus.Terminated);
  assert.equal(terminated.output, 'no longer needed');
  const purged = await client.purgeInstanceHistory(id);
  assert.equal(purged.instancesDeleted, 1);
  await assert.rejects(client.getStatus(id), /404/);
});

test('starting an id that is running is refused (NonRunningStates), leaving the first instance alone', async () => {
  const id = await client.startNew('awaitApproval', { instanceId: 'singleton-1' });
  await settle(id, df.OrchestrationRuntimeStatus.Running);
  await assert.rejects(client.startNew('awaitApproval', { instanceId: 'singleton-1' }));
  const all = await client.getStatusAll();
  assert.equal(all.filter((s) => s.instanceId === 'singleton-1').length, 1);
  await client.terminate(id, 'test done');
});
