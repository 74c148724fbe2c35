/**
 * The stock durable-functions DurableClient (v3) against the Durable HTTP API, over the in-memory engine double.
 * The client uses the RPC form (rpcBaseUrl) for its calls and the management templates for its status links.
 */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HttpRequest } from '@azure/functions';
import * as df from 'durable-functions';
import type { DurableClient } from 'durable-functions';
import { MemoryEngine } from '../../support/memory-engine.js';
import { call, serveApi, useServedApi } from './harness.js';

describe('stock DurableClient over the HTTP API (no system key)', () => {
  const engine = new MemoryEngine('StockHub');
  const served = useServedApi(engine);
  let client: DurableClient;

  before(() => {
    client = served.client();
  });

  test('startNew with an id and input starts that instance and returns its id', async () => {
    const id = await client.startNew('Greeter', { instanceId: 'start-1', input: { name: 'Ada', n: [1, 2] } });
    assert.equal(id, 'start-1');
    const status = await engine.getStatus('start-1');
    assert.equal(status?.name, 'Greeter');
    assert.deepEqual(status?.input, { name: 'Ada', n: [1, 2] });
  });

  test('startNew without id gets an engine-made id; "no input" arrives as "" (axios posts a JSON empty string)', async () => {
    const id = await client.startNew('Greeter');
    assert.match(id, /^[0-9a-f]{32}$/);
    // The stock client posts '' and axios JSON-encodes it to '""', so the real extension sees the input "" too.
    assert.equal((await engine.getStatus(id))?.input, '');
  });

  test('startNew on a live instance id fails for the caller (409), and succeeds again once it ended', async () => {
    await client.startNew('Greeter', { instanceId: 'dup-1' });
    await assert.rejects(client.startNew('Greeter', { instanceId: 'dup-1' }), /unexpected status code: 409.*INSTANCE_EXISTS/);
    engine.set('dup-1', { runtimeStatus: 'Completed', output: 1 });
    assert.equal(await client.startNew('Greeter', { instanceId: 'dup-1', input: 'again' }), 'dup-1');
  });

  test('getStatus maps the payload into DurableOrchestrationStatus, for live and ended instances', async () => {
    await client.startNew('Greeter', { instanceId: 'status-1', input: 'in' });
    const pending = await client.getStatus('status-1');
    assert.equal(pending.runtimeStatus, 'Pending');
    assert.equal(pending.name, 'Greeter');
    assert.equal(pending.instanceId, 'status-1');
    assert.equal(pending.input, 'in');
    assert.equal(pending.output, null);
    assert.ok(pending.createdTime instanceof Date && !Number.isNaN(pending.createdTime.getTime()));

    engine.set('status-1', { runtimeStatus: 'Completed', output: { ok: true }, customStatus: 'done' });
    const done = await client.getStatus('status-1');
    assert.equal(done.runtimeStatus, 'Completed');
    assert.deepEqual(done.output, { ok: true });
    assert.equal(done.customStatus, 'done');
    assert.ok(done.lastUpdatedTime.getTime() > done.createdTime.getTime());
  });

  test('getStatus showInput:true keeps the input; showHistory sends historyEvents on the wire', async () => {
    await client.startNew('Greeter', { instanceId: 'opts-1', input: 'secret-ish' });
    // In its RPC form the client only sends showInput when true (false is the legacy form's; see webhook-form tests).
    assert.equal((await client.getStatus('opts-1', { showInput: true })).input, 'secret-ish');
    const hidden = (await call(`${served.baseUrl}/runtime/webhooks/durabletask/instances/opts-1?showInput=false`)).json() as { input: unknown };
    assert.equal(hidden.input, null);

    engine.set('opts-1', { runtimeStatus: 'Running' }); // a Pending instance has no history to show
    const raw = await call(`${served.baseUrl}/runtime/webhooks/durabletask/instances/opts-1?showHistory=true`);
    const body = raw.json() as { historyEvents?: Array<{ EventType: string }> };
    assert.equal(body.historyEvents?.[0]?.EventType, 'ExecutionStarted');
    const without = (await call(`${served.baseUrl}/runtime/webhooks/durabletask/instances/opts-1`)).json() as object;
    assert.equal('historyEvents' in without, false);
  });

  test('instance ids with spaces, colons and non-ASCII round-trip through the client', async () => {
    const id = await client.startNew('Greeter', { instanceId: 'sched: nightly ü' });
    assert.equal(id, 'sched: nightly ü');
    assert.equal((await client.getStatus(id)).instanceId, 'sched: nightly ü');
    await client.raiseEvent(id, 'Evt', 1);
    assert.equal(engine.calls.at(-1)?.instanceId, 'sched: nightly ü');
  });

  test('getStatus of an unknown instance rejects with the 404 message', async () => {
    await assert.rejects(client.getStatus('nobody'), /HTTP 404 response.*nobody/);
  });

  test('getStatusAll follows continuation tokens across pages (more than the 100 page size)', async () => {
    const fresh = new MemoryEngine('PagingHub');
    const pagingServed = await serveApi(fresh);
    try {
      for (let i = 0; i < 205; i++) await fresh.start('Bulk', { instanceId: `bulk-${String(i).padStart(3, '0')}` });
      const all = await pagingServed.client().getStatusAll();
      assert.equal(all.length, 205);
      assert.equal(new Set(all.map((s) => s.instanceId)).size, 205);
    } finally {
      await pagingServed.close();
    }
  });

  test('getStatusBy filters by runtime status and created time', async () => {
    const fresh = new MemoryEngine('FilterHub');
    const filterServed = await serveApi(fresh);
    try {
      const c = filterServed.client();
      await c.startNew('F', { instanceId: 'f-1' });
      await c.startNew('F', { instanceId: 'f-2' });
      const cut = new Date(fresh.now + 500);
      await c.startNew('F', { instanceId: 'f-3' });
      fresh.set('f-2', { runtimeStatus: 'Completed' });
      fresh.set('f-3', { runtimeStatus: 'Failed' });

      const ended = await c.getStatusBy({ runtimeStatus: [df.OrchestrationRuntimeStatus.Completed, df.OrchestrationRuntimeStatus.Failed] });
      assert.deepEqual(ended.map((s) => s.instanceId).sort(), ['f-2', 'f-3']);
      const early = await c.getStatusBy({ createdTimeTo: cut });
      assert.deepEqual(early.map((s) => s.instanceId).sort(), ['f-1', 'f-2']);
      const late = await c.getStatusBy({ createdTimeFrom: cut });
      assert.deepEqual(late.map((s) => s.instanceId), ['f-3']);
    } finally {
      await filterServed.close();
    }
  });

  test('raiseEvent delivers the JSON data; unknown instance rejects; ended instance is silently accepted (410)', async () => {
    await client.startNew('Waiter', { instanceId: 'ev-1' });
    await client.raiseEvent('ev-1', 'Approval', { approved: true, by: 'ops' });
    assert.deepEqual(engine.calls.at(-1), { operation: 'raiseEvent', instanceId: 'ev-1', eventName: 'Approval', data: { approved: true, by: 'ops' } });

    await client.raiseEvent('ev-1', 'Ping', undefined);
    assert.deepEqual(engine.calls.at(-1), { operation: 'raiseEvent', instanceId: 'ev-1', eventName: 'Ping', data: null });

    await assert.rejects(client.raiseEvent('ghost', 'Approval', 1), /No instance with ID 'ghost' found/);

    engine.set('ev-1', { runtimeStatus: 'Completed' });
    const before = engine.calls.length;
    await client.raiseEvent('ev-1', 'Late', 1); // the extension answers 410, which the client treats as success
    assert.equal(engine.calls.length, before, 'no event reaches an ended instance');
  });

  test('suspend, resume and terminate reach the engine with their reasons', async () => {
    await client.startNew('Worker', { instanceId: 'life-1' });
    engine.set('life-1', { runtimeStatus: 'Running' });
    await client.suspend('life-1', 'maintenance window');
    assert.equal((await client.getStatus('life-1')).runtimeStatus, 'Suspended');
    await client.resume('life-1', 'window over');
    assert.equal((await client.getStatus('life-1')).runtimeStatus, 'Running');
    await client.terminate('life-1', 'no longer needed');
    assert.equal((await client.getStatus('life-1')).runtimeStatus, 'Terminated');
    assert.deepEqual(
      engine.calls.filter((c) => c.instanceId === 'life-1').map((c) => [c.operation, c.reason]),
      [
        ['suspend', 'maintenance window'],
        ['resume', 'window over'],
        ['terminate', 'no longer needed'],
      ],
    );
    // Ended: terminate again is 410, which the client accepts without calling the engine.
    await client.terminate('life-1', 'again');
    assert.equal(engine.calls.filter((c) => c.instanceId === 'life-1').length, 3);
    await assert.rejects(client.terminate('ghost', 'x'), /No instance with ID 'ghost' found/);
    await assert.rejects(client.suspend('ghost', 'x'), /No instance with ID 'ghost' found/);
    await assert.rejects(client.resume('ghost', 'x'), /No instance with ID 'ghost' found/);
  });

  test('rewind reaches the engine for a failed instance; a live one is refused with the client\'s own 412 message', async () => {
    await client.startNew('Worker', { instanceId: 'rw-1' });
    await assert.rejects(client.rewind('rw-1', 'retry'), /^Error: The rewind operation is only supported on failed orchestration instances\.$/);
    engine.set('rw-1', { runtimeStatus: 'Failed' });
    await client.rewind('rw-1', 'retry');
    assert.deepEqual(engine.calls.at(-1), { operation: 'rewind', instanceId: 'rw-1', reason: 'retry' });
    assert.equal((await client.getStatus('rw-1')).runtimeStatus, 'Running');
    await assert.rejects(client.rewind('rw-nobody', 'retry'), /^Error: No instance with ID 'rw-nobody' found\.$/);
  });

  test('purgeInstanceHistory deletes one instance; unknown ids purge nothing; a live one is refused (412)', async () => {
    await client.startNew('Worker', { instanceId: 'purge-1' });
    await assert.rejects(client.purgeInstanceHistory('purge-1'), /unexpected status code: 412/);
    engine.set('purge-1', { runtimeStatus: 'Completed' });
    const result = await client.purgeInstanceHistory('purge-1');
    assert.equal(result.instancesDeleted, 1);
    assert.equal(engine.has('purge-1'), false);
    assert.equal((await client.purgeInstanceHistory('purge-1')).instancesDeleted, 0);
  });

  test('purgeInstanceHistoryBy deletes what matches the filter only', async () => {
    const fresh = new MemoryEngine('PurgeHub');
    const purgeServed = await serveApi(fresh);
    try {
      const c = purgeServed.client();
      const from = new Date(fresh.now);
      await c.startNew('P', { instanceId: 'p-1' });
      await c.startNew('P', { instanceId: 'p-2' });
      await c.startNew('P', { instanceId: 'p-3' });
      fresh.set('p-1', { runtimeStatus: 'Completed' });
      fresh.set('p-2', { runtimeStatus: 'Completed' });
      const result = await c.purgeInstanceHistoryBy({ createdTimeFrom: from, runtimeStatus: [df.OrchestrationRuntimeStatus.Completed] });
      assert.equal(result.instancesDeleted, 2);
      assert.deepEqual([fresh.has('p-1'), fresh.has('p-2'), fresh.has('p-3')], [false, false, true]);
      const none = await c.purgeInstanceHistoryBy({ createdTimeFrom: from, runtimeStatus: [df.OrchestrationRuntimeStatus.Completed] });
      assert.equal(none.instancesDeleted, 0);
    } finally {
      await purgeServed.close();
    }
  });

  test('createCheckStatusResponse links work when followed with real HTTP', async () => {
    const id = await client.startNew('Greeter', { instanceId: 'links-1', input: 'x' });
    const request = new HttpRequest({ method: 'POST', url: `${served.baseUrl}/api/start` });
    const response = client.createCheckStatusResponse(request, id);
    assert.equal(response.status, 202);
    const payload = (await response.json()) as Record<string, string>;
    assert.equal(payload.id, 'links-1');
    assert.equal(response.headers.get('location'), payload.statusQueryGetUri);
    assert.ok(payload.statusQueryGetUri?.startsWith(`${served.baseUrl}/runtime/webhooks/durabletask/instances/links-1?`));

    const pending = await call(payload.statusQueryGetUri!);
    assert.equal(pending.status, 202);
    assert.equal((pending.json() as { runtimeStatus: string }).runtimeStatus, 'Pending');

    const sendEvent = await call(payload.sendEventPostUri!.replace('{eventName}', 'Go'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ go: 1 }),
    });
    assert.equal(sendEvent.status, 202);
    assert.deepEqual(engine.calls.at(-1), { operation: 'raiseEvent', instanceId: 'links-1', eventName: 'Go', data: { go: 1 } });

    const suspend = await call(payload.suspendPostUri!.replace('{text}', 'pause'), { method: 'POST' });
    assert.equal(suspend.status, 202);
    const resume = await call(payload.resumePostUri!.replace('{text}', 'go%20on'), { method: 'POST' });
    assert.equal(resume.status, 202);
    assert.equal(engine.calls.at(-1)?.reason, 'go on');
    const terminate = await call(payload.terminatePostUri!.replace('{text}', 'stop'), { method: 'POST' });
    assert.equal(terminate.status, 202);

    const ended = await call(payload.statusQueryGetUri!);
    assert.equal(ended.status, 200);
    assert.equal((ended.json() as { runtimeStatus: string }).runtimeStatus, 'Terminated');

    const purge = await call(payload.purgeHistoryDeleteUri!, { method: 'DELETE' });
    assert.equal(purge.status, 200);
    assert.deepEqual(purge.json(), { instancesDeleted: 1 });
    assert.equal((await call(payload.statusQueryGetUri!)).status, 404);
  });

  test('createHttpManagementPayload gives links on the host origin with the instance id filled in', async () => {
    const payload = client.createHttpManagementPayload('mgmt 1') as unknown as Record<string, string>;
    assert.equal(payload.id, 'mgmt 1');
    for (const key of ['statusQueryGetUri', 'sendEventPostUri', 'terminatePostUri', 'purgeHistoryDeleteUri', 'suspendPostUri', 'resumePostUri']) {
      assert.ok(payload[key]?.startsWith(`${served.baseUrl}/runtime/webhooks/durabletask/instances/mgmt 1`), key);
      assert.match(payload[key]!, /taskHub=StockHub&connection=AzureWebJobsStorage/);
    }
  });

  test('waitForCompletionOrCreateCheckStatusResponse returns the output once completed, else the 202', async () => {
    const request = new HttpRequest({ method: 'POST', url: `${served.baseUrl}/api/start` });
    await client.startNew('Greeter', { instanceId: 'wait-1' });
    engine.set('wait-1', { runtimeStatus: 'Completed', output: 'hello' });
    const done = await client.waitForCompletionOrCreateCheckStatusResponse(request, 'wait-1', { timeoutInMilliseconds: 2000, retryIntervalInMilliseconds: 100 });
    assert.equal(done.status, 200);
    assert.equal(await done.text(), '"hello"');

    await client.startNew('Greeter', { instanceId: 'wait-2' });
    const pending = await client.waitForCompletionOrCreateCheckStatusResponse(request, 'wait-2', { timeoutInMilliseconds: 200, retryIntervalInMilliseconds: 100 });
    assert.equal(pending.status, 202);
  });

  test('the API claimed every request the client made', () => {
    assert.deepEqual(served.unclaimed, []);
  });
});
