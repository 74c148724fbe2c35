/**
 * Every operation of the stock JS DurableClient (rewind and restart aside) against the embedded host running the
 * samples app, with a host key configured, as in production: the client is made from the host's durableClient
 * binding data and carries the Durable system key; the app's HTTP functions are anonymous.
 * Only client-level behaviour is asserted here, not the HTTP status codes behind it (test/host/durable-http-api).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as df from 'durable-functions';
import { startSamples, sleep, type SamplesEnv } from './samples-env.js';

const HOST_KEY = 'samples-host-key-0123456789';

let s: SamplesEnv;
before(async () => {
  s = await startSamples('SamplesClient', { key: HOST_KEY });
});
after(async () => s?.teardown());

async function total(id: string, wanted: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (((await s.client.getStatus(id)).customStatus as { total?: number } | null)?.total !== wanted) {
    if (Date.now() > deadline) throw new Error(`${id} never reached total ${wanted}`);
    await sleep(25);
  }
}

describe('startNew and getStatus', () => {
  test('startNew with an id returns that id; getStatus reports name, input, status and times', async () => {
    const startedAt = Date.now();
    const id = await s.client.startNew('sayHelloWithActivity', { instanceId: 'client-with-id', input: 'Bern' });
    assert.equal(id, 'client-with-id');
    const done = await s.settle(id, 'Completed');
    assert.equal(done.instanceId, 'client-with-id');
    assert.equal(done.name, 'sayHelloWithActivity');
    assert.equal(done.input, 'Bern');
    assert.equal(done.output, 'Hello Bern');
    assert.ok(done.createdTime.getTime() >= startedAt - 1_000 && done.createdTime <= done.lastUpdatedTime);
  });

  test('startNew without an id gets a new GUID-like id each time', async () => {
    const a = await s.client.startNew('sayHelloWithActivity', { input: 'A' });
    const b = await s.client.startNew('sayHelloWithActivity', { input: 'B' });
    assert.match(a, /^[0-9a-f]{32}$/);
    assert.notEqual(a, b);
    assert.equal((await s.settle(b, 'Completed')).output, 'Hello B');
  });

  test('startNew on an id that is running is refused; the running instance is left alone', async () => {
    const id = await s.client.startNew('eventCounter', { instanceId: 'client-singleton', input: 1 });
    await s.settle(id, 'Running');
    await assert.rejects(s.client.startNew('eventCounter', { instanceId: 'client-singleton', input: 99 }));
    assert.equal((await s.client.getStatus(id, { showInput: true })).input, 1);
    await s.client.terminate(id, 'test done');
  });

  test('startNew on an id whose instance has ended starts it afresh with the new input', async () => {
    const id = await s.client.startNew('sayHelloWithActivity', { instanceId: 'client-again', input: 'first' });
    await s.settle(id, 'Completed');
    assert.equal(await s.client.startNew('sayHelloWithActivity', { instanceId: id, input: 'second' }), id);
    const deadline = Date.now() + 10_000;
    while ((await s.client.getStatus(id)).output !== 'Hello second') {
      if (Date.now() > deadline) throw new Error('the second run did not complete');
      await sleep(25);
    }
    assert.equal((await s.client.getStatus(id)).input, 'second');
  });

  test('getStatus with its flags: input shown by default and on request; history requested', async () => {
    const id = await s.client.startNew('sayHelloWithActivity', { instanceId: 'client-flags', input: 'Graz' });
    await s.settle(id, 'Completed');
    assert.equal((await s.client.getStatus(id)).input, 'Graz');
    assert.equal((await s.client.getStatus(id, { showInput: true })).input, 'Graz');
    // In its RPC form the client sends showInput only when true, so false changes nothing (on the extension too).
    assert.equal((await s.client.getStatus(id, { showInput: false })).input, 'Graz');
    const withHistory = await s.client.getStatus(id, { showHistory: true, showHistoryOutput: true });
    assert.equal(withHistory.runtimeStatus, 'Completed');
    assert.equal(withHistory.output, 'Hello Graz');
    // The API sends `historyEvents`; the client reads `history` (a durable-functions quirk the extension shares).
    assert.equal(withHistory.history, undefined);
  });

  test('getStatus of an unknown instance rejects with the client 404 message', async () => {
    await assert.rejects(s.client.getStatus('client-nobody'), /replied with HTTP 404.*client-nobody/);
  });
});

describe('queries', () => {
  test('getStatusAll lists every instance of the hub, ended and running', async () => {
    const running = await s.client.startNew('sleepADay', { instanceId: 'client-all-running' });
    const ended = await s.client.startNew('sayHelloWithActivity', { instanceId: 'client-all-ended', input: 'x' });
    await s.settle(ended, 'Completed');
    await s.settle(running, 'Running');
    const all = await s.client.getStatusAll();
    const byId = new Map(all.map((status) => [status.instanceId, status]));
    assert.equal(byId.get(running)?.runtimeStatus, 'Running');
    assert.equal(byId.get(ended)?.runtimeStatus, 'Completed');
    assert.equal(byId.get(ended)?.name, 'sayHelloWithActivity');
    assert.ok(all.length >= 2);
    await s.client.terminate(running, 'test done');
  });

  test('getStatusBy filters by runtime status and created time, alone and together', async () => {
    const from = new Date();
    await sleep(20);
    const sleeper = await s.client.startNew('sleepADay', { instanceId: 'client-by-running' });
    const done = await s.client.startNew('sayHelloWithActivity', { instanceId: 'client-by-done', input: 'y' });
    await s.settle(done, 'Completed');
    await s.settle(sleeper, 'Running');
    await sleep(20);
    const to = new Date();
    await sleep(20);
    const later = await s.client.startNew('sayHelloWithActivity', { instanceId: 'client-by-later', input: 'z' });
    await s.settle(later, 'Completed');

    const ids = (list: Array<{ instanceId: string }>): string[] => list.map((x) => x.instanceId).sort();
    const running = await s.client.getStatusBy({ runtimeStatus: [df.OrchestrationRuntimeStatus.Running] });
    assert.ok(ids(running).includes(sleeper));
    assert.ok(running.every((x) => x.runtimeStatus === df.OrchestrationRuntimeStatus.Running));
    assert.deepEqual(ids(await s.client.getStatusBy({ createdTimeFrom: from, createdTimeTo: to })), [done, sleeper].sort());
    assert.deepEqual(ids(await s.client.getStatusBy({ createdTimeFrom: from })), [done, later, sleeper].sort());
    assert.deepEqual(
      ids(await s.client.getStatusBy({ createdTimeFrom: from, createdTimeTo: to, runtimeStatus: [df.OrchestrationRuntimeStatus.Completed] })),
      [done],
    );
    assert.deepEqual(
      ids(
        await s.client.getStatusBy({
          createdTimeFrom: from,
          runtimeStatus: [df.OrchestrationRuntimeStatus.Completed, df.OrchestrationRuntimeStatus.Running],
        }),
      ),
      [done, later, sleeper].sort(),
    );
    await s.client.terminate(sleeper, 'test done');
  });
});

describe('raiseEvent, suspend, resume, terminate', () => {
  test('raiseEvent delivers each event and its data in order', async () => {
    const id = await s.client.startNew('eventCounter', { instanceId: 'client-events', input: 0 });
    await s.settle(id, 'Running');
    await s.client.raiseEvent(id, 'add', 2);
    await s.client.raiseEvent(id, 'add', 3);
    await total(id, 5);
    await s.client.raiseEvent(id, 'stop', { by: 'test' });
    assert.deepEqual((await s.settle(id, 'Completed')).output, { total: 5, stoppedBy: { by: 'test' } });
  });

  test('raiseEvent: an unknown instance rejects; an ended one accepts and ignores it', async () => {
    await assert.rejects(s.client.raiseEvent('client-nobody', 'add', 1), /No instance with ID 'client-nobody' found/);
    const id = await s.client.startNew('sayHelloWithActivity', { input: 'done' });
    await s.settle(id, 'Completed');
    await s.client.raiseEvent(id, 'add', 1);
    assert.equal((await s.client.getStatus(id)).output, 'Hello done');
  });

  test('suspend holds events back until resume; then they are processed in order', async () => {
    const id = await s.client.startNew('eventCounter', { instanceId: 'client-suspend', input: 0 });
    await s.settle(id, 'Running');
    await s.client.suspend(id, 'maintenance');
    await s.settle(id, 'Suspended');
    await s.client.raiseEvent(id, 'add', 10);
    await s.client.raiseEvent(id, 'add', 20);
    await sleep(300);
    const suspended = await s.client.getStatus(id);
    assert.equal(suspended.runtimeStatus, 'Suspended');
    assert.deepEqual(suspended.customStatus, { total: 0 }, 'nothing processed while suspended');
    await s.client.resume(id, 'maintenance over');
    await total(id, 30);
    assert.equal((await s.client.getStatus(id)).runtimeStatus, 'Running');
    await s.client.raiseEvent(id, 'stop', 'done');
    assert.deepEqual((await s.settle(id, 'Completed')).output, { total: 30, stoppedBy: 'done' });
  });

  test('terminate ends a running instance with the reason as output; terminating it again is accepted', async () => {
    const id = await s.client.startNew('sleepADay', { instanceId: 'client-terminate' });
    await s.settle(id, 'Running');
    await s.client.terminate(id, 'no longer needed');
    const terminated = await s.settle(id, 'Terminated');
    assert.equal(terminated.output, 'no longer needed');
    await s.client.terminate(id, 'again');
    assert.equal((await s.client.getStatus(id)).output, 'no longer needed');
    // The history as the extension shows it: DurableTask.Core ends a terminated execution with ExecutionCompleted.
    // The status link the client hands out carries the Durable system key.
    const response = await fetch(`${s.client.createHttpManagementPayload(id).statusQueryGetUri}&showHistory=true&showHistoryOutput=true`);
    assert.equal(response.status, 200);
    const { historyEvents } = (await response.json()) as { historyEvents: Array<Record<string, unknown>> };
    assert.deepEqual(historyEvents.slice(-2).map((e) => [e.EventType, e.Input, e.OrchestrationStatus, e.Result]), [
      ['ExecutionTerminated', 'no longer needed', undefined, undefined],
      ['ExecutionCompleted', undefined, 'Terminated', 'no longer needed'],
    ]);
  });

  test('terminate of a suspended instance ends it', async () => {
    const id = await s.client.startNew('eventCounter', { instanceId: 'client-terminate-suspended', input: 0 });
    await s.settle(id, 'Running');
    await s.client.suspend(id, 'pause');
    await s.settle(id, 'Suspended');
    await s.client.terminate(id, 'stop it');
    assert.equal((await s.settle(id, 'Terminated')).output, 'stop it');
  });

  test('suspend, resume and terminate of an unknown instance reject', async () => {
    await assert.rejects(s.client.suspend('client-nobody', 'x'), /No instance with ID 'client-nobody' found/);
    await assert.rejects(s.client.resume('client-nobody', 'x'), /No instance with ID 'client-nobody' found/);
    await assert.rejects(s.client.terminate('client-nobody', 'x'), /No instance with ID 'client-nobody' found/);
  });
});

describe('purge', () => {
  test('purgeInstanceHistory deletes an ended instance; then it is unknown; purging it again deletes nothing', async () => {
    const id = await s.client.startNew('sayHelloWithActivity', { instanceId: 'client-purge', input: 'p' });
    await s.settle(id, 'Completed');
    assert.equal((await s.client.purgeInstanceHistory(id)).instancesDeleted, 1);
    await assert.rejects(s.client.getStatus(id), /replied with HTTP 404/);
    assert.equal((await s.client.purgeInstanceHistory(id)).instancesDeleted, 0);
    // The id can be used again.
    await s.client.startNew('sayHelloWithActivity', { instanceId: id, input: 'again' });
    assert.equal((await s.settle(id, 'Completed')).output, 'Hello again');
  });

  test('purgeInstanceHistory leaves a running instance alone', async () => {
    const id = await s.client.startNew('sleepADay', { instanceId: 'client-purge-running' });
    await s.settle(id, 'Running');
    // The extension refuses this (its status code is HTTPAPI's business); whatever the client makes of it, the
    // instance must still run.
    await s.client.purgeInstanceHistory(id).catch(() => undefined);
    assert.equal((await s.client.getStatus(id)).runtimeStatus, 'Running');
    await s.client.terminate(id, 'test done');
  });

  test('purgeInstanceHistoryBy deletes what matches the filter and nothing else', async () => {
    const from = new Date();
    await sleep(20);
    const completed = await Promise.all(
      ['p1', 'p2', 'p3'].map((n) => s.client.startNew('sayHelloWithActivity', { instanceId: `client-purge-by-${n}`, input: n })),
    );
    const running = await s.client.startNew('sleepADay', { instanceId: 'client-purge-by-running' });
    for (const id of completed) await s.settle(id, 'Completed');
    await s.settle(running, 'Running');
    const result = await s.client.purgeInstanceHistoryBy({
      createdTimeFrom: from,
      runtimeStatus: [df.OrchestrationRuntimeStatus.Completed],
    });
    assert.equal(result.instancesDeleted, 3);
    for (const id of completed) await assert.rejects(s.client.getStatus(id), /replied with HTTP 404/);
    assert.equal((await s.client.getStatus(running)).runtimeStatus, 'Running');
    assert.equal((await s.client.getStatus('client-with-id')).runtimeStatus, 'Completed', 'created before the window');
    assert.equal(
      (await s.client.purgeInstanceHistoryBy({ createdTimeFrom: from, runtimeStatus: [df.OrchestrationRuntimeStatus.Completed] }))
        .instancesDeleted,
      0,
    );
    await s.client.terminate(running, 'test done');
  });
});

describe('events raised before the orchestration waits for them', () => {
  test('are kept, and handed to its waits in the order they were raised', async () => {
    const id = await s.client.startNew('eventCounter', { instanceId: 'client-early-events', input: 0 });
    // No wait for Running: the instance may still be Pending.
    await s.client.raiseEvent(id, 'add', 1);
    await s.client.raiseEvent(id, 'add', 2);
    await s.client.raiseEvent(id, 'add', 4);
    await total(id, 7);
    await s.client.raiseEvent(id, 'stop', 'early');
    assert.deepEqual((await s.settle(id, 'Completed')).output, { total: 7, stoppedBy: 'early' });
  });
});
