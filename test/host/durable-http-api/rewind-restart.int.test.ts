/**
 * Rewind and restart through the Durable HTTP API on the real engine and Azurite, as the extension does them:
 * rewind re-runs the failed activity (or sub-orchestration) of a Failed instance and the orchestration goes on as if
 * it had not failed; restart starts the orchestrator again with its original input, under the same or a new id.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as df from 'durable-functions';
import { DirectInvoker } from '../../support/direct-invoker.js';
import { call } from './harness.js';
import { startRealApi, type RealApi } from './real-engine.js';

/** Activities that fail the first time they run for a key, then succeed: the "fixed the bug, now rewind" case. */
const failedOnce = new Set<string>();
function failsOnce(key: string, value: string): string {
  if (!failedOnce.has(key)) {
    failedOnce.add(key);
    throw new Error(`${key} failed (first run)`);
  }
  return value;
}

const retryRuns = new Map<string, number>();
/** The "bug" of Buggy: its own code throws until it is fixed. */
let bugFixed = false;

const invoker = new DirectInvoker()
  .activity('Step', (n: number) => n * 10)
  .activity('Flaky', (key: string) => failsOnce(key, `${key} ok`))
  .orchestration('Flow', function* (ctx) {
    const key = ctx.df.getInput<string>();
    const before = (yield ctx.df.callActivity('Step', 1)) as unknown;
    const flaky = (yield ctx.df.callActivity('Flaky', key)) as unknown;
    const after = (yield ctx.df.callActivity('Step', 2)) as unknown;
    return [before, flaky, after];
  })
  .orchestration('FlakyChild', function* (ctx) {
    return (yield ctx.df.callActivity('Flaky', ctx.df.getInput())) as unknown;
  })
  .orchestration('Parent', function* (ctx) {
    const child = (yield ctx.df.callSubOrchestrator('FlakyChild', ctx.df.getInput(), `${ctx.df.instanceId}-child`)) as unknown;
    return { child };
  })
  .activity('FailsTwice', (key: string) => {
    const runs = (retryRuns.get(key) ?? 0) + 1;
    retryRuns.set(key, runs);
    if (runs <= 2) throw new Error(`run ${runs} failed`);
    return `run ${runs} ok`;
  })
  .orchestration('WithRetry', function* (ctx) {
    const key = ctx.df.getInput<string>();
    const retried = (yield ctx.df.callActivityWithRetry('FailsTwice', new df.RetryOptions(10, 2), key)) as unknown;
    const next = (yield ctx.df.callActivity('Step', 3)) as unknown;
    return [retried, next];
  })
  .orchestration('Buggy', function* (ctx) {
    const first = (yield ctx.df.callActivity('Step', 4)) as unknown;
    // Its own timer: told apart from a retry timer of an earlier version, so the rewind is not refused.
    yield ctx.df.createTimer(new Date(ctx.df.currentUtcDateTime.getTime() + 10));
    if (!bugFixed) throw new Error('a bug in the orchestrator');
    const second = (yield ctx.df.callActivity('Step', 5)) as unknown;
    return [first, second];
  })
  .orchestration('Waiter', function* (ctx) {
    return (yield ctx.df.waitForExternalEvent('Go')) as unknown;
  })
  .orchestration('Echo', function* (ctx) {
    return { echoed: ctx.df.getInput(), id: ctx.df.instanceId };
  });

const json = { 'content-type': 'application/json' };

describe('rewind and restart', () => {
  let api: RealApi;
  before(async () => {
    api = await startRealApi(invoker);
  });
  after(async () => api.close());

  async function startFailed(name: string, id: string, key: string): Promise<void> {
    assert.equal((await call(`${api.hook}/orchestrators/${name}/${id}`, { method: 'POST', body: JSON.stringify(key), headers: json })).status, 202);
    const failed = await api.waitFor(id, ['Failed', 'Completed']);
    assert.equal(failed.runtimeStatus, 'Failed');
  }

  test('rewind of a failed activity: 202, the activity runs again, the orchestration completes; history has no failure left', async () => {
    await startFailed('Flow', 'rw-flow', 'k1');
    const res = await call(`${api.hook}/instances/rw-flow/rewind?reason=fixed`, { method: 'POST' });
    assert.equal(res.status, 202);
    assert.equal(res.text, '');
    // Accepted, not yet done: the instance stays Failed until the engine's step takes the rewind.
    const done = await api.waitFor('rw-flow', ['Completed']);
    assert.deepEqual(done.output, [10, 'k1 ok', 20]);
    const body = (await call(`${api.hook}/instances/rw-flow?showHistory=true&showHistoryOutput=true`)).json() as { historyEvents: Array<Record<string, unknown>> };
    const types = body.historyEvents.map((e) => e.EventType);
    // As the extension's rewind: the failure (TaskFailed) and the failed ExecutionCompleted are GenericEvents now, and
    // the GenericEvent carrying the reason revived the instance.
    assert.deepEqual(types, ['ExecutionStarted', 'TaskCompleted', 'GenericEvent', 'GenericEvent', 'GenericEvent', 'TaskCompleted', 'TaskCompleted', 'ExecutionCompleted']);
    assert.deepEqual(body.historyEvents.slice(2, 5).map((e) => e.Data), [undefined, undefined, 'fixed']);
    const tasks = body.historyEvents.filter((e) => e.EventType === 'TaskCompleted');
    assert.deepEqual(tasks.map((e) => [e.FunctionName, e.Result]), [['Step', 10], ['Flaky', 'k1 ok'], ['Step', 20]]);
  });

  test('rewind of a with-retry task that used up its attempts: only the last attempt runs again, then the orchestration goes on', async () => {
    await startFailed('WithRetry', 'rw-retry', 'k3');
    assert.equal(retryRuns.get('k3'), 2);
    assert.equal((await call(`${api.hook}/instances/rw-retry/rewind`, { method: 'POST' })).status, 202);
    const done = await api.waitFor('rw-retry', ['Completed']);
    assert.deepEqual(done.output, ['run 3 ok', 30]);
    assert.equal(retryRuns.get('k3'), 3, 'one more run: the first attempt\'s failure stays in the history');
    const body = (await call(`${api.hook}/instances/rw-retry?showHistory=true`)).json() as { historyEvents: Array<Record<string, unknown>> };
    // The last attempt's failure, its retry timer (created and fired) and the failed ExecutionCompleted left
    // GenericEvents in their places; then the one carrying the (empty) reason.
    assert.deepEqual(body.historyEvents.map((e) => e.EventType), [
      'ExecutionStarted', 'TaskFailed', 'TimerCreated', 'TimerFired', ...Array<string>(5).fill('GenericEvent'), 'TaskCompleted', 'TaskCompleted', 'ExecutionCompleted',
    ]);
    assert.ok(body.historyEvents.every((e) => !('RetryOf' in e) && !('Retry' in e)), 'the engine\'s retry bookkeeping is not shown');
  });

  test('rewind of an orchestration that failed in its own code: it runs again (the bug fixed) and goes on', async () => {
    await startFailed('Buggy', 'rw-buggy', 'k4');
    bugFixed = true;
    assert.equal((await call(`${api.hook}/instances/rw-buggy/rewind?reason=fixed`, { method: 'POST' })).status, 202);
    const done = await api.waitFor('rw-buggy', ['Completed']);
    assert.deepEqual(done.output, [40, 50]);
    const body = (await call(`${api.hook}/instances/rw-buggy?showHistory=true`)).json() as { historyEvents: Array<Record<string, unknown>> };
    const rewound = body.historyEvents.filter((e) => e.EventType === 'GenericEvent');
    assert.deepEqual(rewound.map((e) => e.Data), [undefined, 'fixed'], 'the failed ExecutionCompleted\'s place, then the reason (as the extension\'s GenericEvent message)');
  });

  test('rewind through the stock client, of a failed sub-orchestration: child and parent both go on', async () => {
    await startFailed('Parent', 'rw-parent', 'k2');
    assert.equal((await api.engine.getStatus('rw-parent-child'))?.runtimeStatus, 'Failed');
    await api.served.client().rewind('rw-parent', 'fixed');
    const done = await api.waitFor('rw-parent', ['Completed']);
    assert.deepEqual(done.output, { child: 'k2 ok' });
    assert.equal((await api.engine.getStatus('rw-parent-child'))?.runtimeStatus, 'Completed');
  });

  test('rewind of a running instance is refused (412, the client\'s own message); of an ended one 410; unknown 404', async () => {
    await call(`${api.hook}/orchestrators/Waiter/rw-live`, { method: 'POST' });
    await api.waitFor('rw-live', ['Running']);
    const live = await call(`${api.hook}/instances/rw-live/rewind?reason=x`, { method: 'POST' });
    assert.equal(live.status, 412);
    await assert.rejects(api.served.client().rewind('rw-live', 'x'), /^Error: The rewind operation is only supported on failed orchestration instances\.$/);
    assert.equal((await api.engine.getStatus('rw-live'))?.runtimeStatus, 'Running');
    await call(`${api.hook}/instances/rw-live/raiseEvent/Go`, { method: 'POST', body: '1', headers: json });
    await api.waitFor('rw-live', ['Completed']);
    assert.equal((await call(`${api.hook}/instances/rw-live/rewind`, { method: 'POST' })).status, 410);
    assert.equal((await call(`${api.hook}/instances/rw-nobody/rewind`, { method: 'POST' })).status, 404);
  });

  test('restart with the same id: 202 with its links, the original input, a new execution', async () => {
    await call(`${api.hook}/orchestrators/Echo/rs-same`, { method: 'POST', body: '{"n":1}', headers: json });
    const first = await api.waitFor('rs-same', ['Completed']);
    const res = await call(`${api.hook}/instances/rs-same/restart?restartWithNewInstanceId=false`, { method: 'POST' });
    assert.equal(res.status, 202);
    const links = res.json() as { id: string; statusQueryGetUri: string };
    assert.equal(links.id, 'rs-same');
    assert.equal(res.headers.get('location'), links.statusQueryGetUri);
    await api.waitFor('rs-same', ['Completed']);
    const again = await api.engine.getStatus('rs-same');
    assert.deepEqual(again?.output, { echoed: { n: 1 }, id: 'rs-same' });
    assert.ok(Date.parse(again?.createdTime ?? '') >= Date.parse(first.createdTime));
    // The link handed out works.
    assert.equal((await call(links.statusQueryGetUri)).status, 200);
  });

  test('restart with a new id (the default, also for a value that is no boolean): a new instance, same input', async () => {
    await call(`${api.hook}/orchestrators/Echo/rs-new`, { method: 'POST', body: '"in"', headers: json });
    await api.waitFor('rs-new', ['Completed']);
    for (const query of ['restartWithNewInstanceId=TRUE', '', 'restartWithNewInstanceId=yes']) {
      const res = await call(`${api.hook}/instances/rs-new/restart?${query}`, { method: 'POST' });
      assert.equal(res.status, 202, query);
      const { id } = res.json() as { id: string };
      assert.notEqual(id, 'rs-new');
      const done = await api.waitFor(id, ['Completed']);
      assert.deepEqual(done.output, { echoed: 'in', id });
    }
  });

  test('restart of a live instance under its own id is 409 (a new id works); of an unknown one 400', async () => {
    await call(`${api.hook}/orchestrators/Waiter/rs-live`, { method: 'POST' });
    await api.waitFor('rs-live', ['Running']);
    assert.equal((await call(`${api.hook}/instances/rs-live/restart?restartWithNewInstanceId=false`, { method: 'POST' })).status, 409);
    assert.equal((await call(`${api.hook}/instances/rs-live/restart?restartWithNewInstanceId=true`, { method: 'POST' })).status, 202);
    const unknown = await call(`${api.hook}/instances/rs-nobody/restart`, { method: 'POST' });
    assert.equal(unknown.status, 400);
    assert.equal((unknown.json() as { Message: string }).Message, 'InstanceId does not match a valid orchestration instance.');
  });

  test('every link of a check-status answer works, rewind and restart included', async () => {
    failedOnce.delete('k5');
    const started = await call(`${api.hook}/orchestrators/Flow/links-1`, { method: 'POST', body: '"k5"', headers: json });
    const links = started.json() as Record<string, string>;
    const link = (name: string): string => (links[name] ?? assert.fail(`no ${name}`)).replace('{text}', 'why');
    assert.deepEqual(Object.keys(links).sort(), [
      'id', 'purgeHistoryDeleteUri', 'restartPostUri', 'resumePostUri', 'rewindPostUri', 'sendEventPostUri', 'statusQueryGetUri', 'suspendPostUri', 'terminatePostUri',
    ]);
    await api.waitFor('links-1', ['Failed']);
    assert.equal((await call(link('statusQueryGetUri'))).status, 200);
    assert.equal((await call(link('rewindPostUri'), { method: 'POST' })).status, 202);
    await api.waitFor('links-1', ['Completed']);
    const restarted = await call(link('restartPostUri'), { method: 'POST' });
    assert.equal(restarted.status, 202);
    const again = restarted.json() as Record<string, string>;
    assert.notEqual(again.id, 'links-1');
    const other = (name: string): string => (again[name] ?? assert.fail(`no ${name}`)).replace('{text}', 'why');
    await api.waitFor(again.id ?? '', ['Completed']);
    for (const name of ['suspendPostUri', 'resumePostUri', 'terminatePostUri']) assert.equal((await call(other(name), { method: 'POST' })).status, 410, name);
    const event = await call(other('sendEventPostUri').replace('{eventName}', 'Go'), { method: 'POST', body: '1', headers: json });
    assert.equal(event.status, 410);
    assert.deepEqual((await call(other('purgeHistoryDeleteUri'), { method: 'DELETE' })).json(), { instancesDeleted: 1 });
    assert.deepEqual((await call(link('purgeHistoryDeleteUri'), { method: 'DELETE' })).json(), { instancesDeleted: 1 });
  });

  test('restart with timeout and pollingInterval waits and answers the output, as create-and-wait', async () => {
    await call(`${api.hook}/orchestrators/Echo/rs-wait`, { method: 'POST', body: '7', headers: json });
    await api.waitFor('rs-wait', ['Completed']);
    const res = await call(`${api.hook}/instances/rs-wait/restart?restartWithNewInstanceId=false&timeout=10&pollingInterval=0.1`, { method: 'POST' });
    assert.equal(res.status, 200);
    assert.deepEqual(res.json(), { echoed: 7, id: 'rs-wait' });
  });
});
