/**
 * showHistory / showHistoryOutput on the status route give the history in the extension's shape (its DurableClient
 * conversion): event type names, no OrchestratorStarted/Completed, TaskScheduled and SubOrchestrationInstanceCreated
 * folded into their results with FunctionName and ScheduledTime, results parsed only with showHistoryOutput, no
 * EventId/IsPlayed. One orchestration with an activity, a failed activity, a timer, an event and a sub-orchestration,
 * on the real engine and Azurite; and the same list through the stock client's getStatus.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DirectInvoker } from '../../support/direct-invoker.js';
import { waitFor } from '../../durable/harness.js';
import { call } from './harness.js';
import { startRealApi, type RealApi } from './real-engine.js';

type Event = Record<string, unknown>;

const invoker = new DirectInvoker()
  .activity('Hello', (name: string) => `Hello, ${name}!`)
  .activity('Boom', () => {
    throw new Error('boom');
  })
  .orchestration('Child', function* (ctx) {
    return (yield ctx.df.callActivity('Hello', ctx.df.getInput())) as unknown;
  })
  .orchestration('Shape', function* (ctx) {
    const hello = (yield ctx.df.callActivity('Hello', 'Tokyo')) as unknown;
    let failed = 'no';
    try {
      yield ctx.df.callActivity('Boom', 'x');
    } catch {
      failed = 'caught';
    }
    yield ctx.df.createTimer(new Date(ctx.df.currentUtcDateTime.getTime() + 30));
    ctx.df.setCustomStatus('waiting');
    const go = (yield ctx.df.waitForExternalEvent('Go')) as unknown;
    const child = (yield ctx.df.callSubOrchestrator('Child', 'sub', `${ctx.df.instanceId}-child`)) as unknown;
    return { hello, failed, go, child };
  });

function keys(event: Event | undefined): string[] {
  return Object.keys(event ?? {}).sort();
}

describe('history in the extension shape', () => {
  let api: RealApi;
  const id = 'shape-1';

  before(async () => {
    api = await startRealApi(invoker);
    const started = await call(`${api.hook}/orchestrators/Shape/${id}`, { method: 'POST', body: '{"n":1}', headers: { 'content-type': 'application/json' } });
    assert.equal(started.status, 202);
    await waitFor(async () => ((await api.engine.getStatus(id))?.customStatus === 'waiting' ? true : undefined), 'the orchestration to wait for Go');
    const raised = await call(`${api.hook}/instances/${id}/raiseEvent/Go`, { method: 'POST', body: '{"ok":true}', headers: { 'content-type': 'application/json' } });
    assert.equal(raised.status, 202);
    await api.waitFor(id, ['Completed']);
  });
  after(async () => api.close());

  async function history(query: string): Promise<Event[]> {
    const res = await call(`${api.hook}/instances/${id}?${query}`);
    assert.equal(res.status, 200);
    const body = res.json() as { historyEvents?: Event[]; history?: Event[] };
    assert.ok(body.historyEvents, 'historyEvents is there');
    assert.equal('history' in body, false, 'only the name the extension sends');
    return body.historyEvents;
  }

  test('with showHistoryOutput: names, folded tasks, parsed results, field by field', async () => {
    const events = await history('showHistory=true&showHistoryOutput=true');
    assert.deepEqual(events.map((e) => e.EventType), [
      'ExecutionStarted',
      'TaskCompleted',
      'TaskFailed',
      'TimerCreated',
      'TimerFired',
      'EventRaised',
      'SubOrchestrationInstanceCompleted',
      'ExecutionCompleted',
    ]);
    const [started, completed, failed, timerCreated, timerFired, raised, sub, end] = events;
    assert.deepEqual(keys(started), ['EventType', 'FunctionName', 'Input', 'Timestamp']);
    assert.equal(started?.FunctionName, 'Shape');
    assert.equal(started?.Input, '{"n":1}', 'the input stays JSON text, as the extension leaves it');

    assert.deepEqual(keys(completed), ['EventType', 'FunctionName', 'Input', 'Result', 'ScheduledTime', 'Timestamp']);
    assert.equal(completed?.FunctionName, 'Hello');
    assert.equal(completed?.Input, '"Tokyo"');
    assert.equal(completed?.Result, 'Hello, Tokyo!', 'the result parsed from its JSON text');
    assert.ok(Date.parse(String(completed?.ScheduledTime)) <= Date.parse(String(completed?.Timestamp)));

    assert.equal(failed?.FunctionName, 'Boom');
    assert.equal(typeof failed?.ScheduledTime, 'string');
    assert.match(String(failed?.Reason), /boom/);
    for (const gone of ['EventId', 'IsPlayed', 'TaskScheduledId', 'Result']) assert.equal(gone in (failed ?? {}), false, gone);

    assert.deepEqual(keys(timerCreated), ['EventType', 'FireAt', 'Timestamp']);
    assert.deepEqual(keys(timerFired), ['EventType', 'FireAt', 'Timestamp']);
    assert.equal(timerFired?.FireAt, timerCreated?.FireAt);

    assert.deepEqual(keys(raised), ['EventType', 'Input', 'Name', 'Timestamp']);
    assert.equal(raised?.Name, 'Go');
    assert.equal(raised?.Input, '{"ok":true}');

    assert.deepEqual(keys(sub), ['EventType', 'FunctionName', 'Input', 'Result', 'ScheduledTime', 'Timestamp']);
    assert.equal(sub?.FunctionName, 'Child');
    assert.equal(sub?.Result, 'Hello, sub!');

    assert.deepEqual(keys(end), ['EventType', 'OrchestrationStatus', 'Result', 'Timestamp']);
    assert.equal(end?.OrchestrationStatus, 'Completed');
    assert.deepEqual(end?.Result, { hello: 'Hello, Tokyo!', failed: 'caught', go: { ok: true }, child: 'Hello, sub!' });
  });

  test('without showHistoryOutput no results; with showInput=false no inputs; without showHistory no history', async () => {
    const events = await history('showHistory=true');
    assert.equal(events.length, 8);
    for (const e of events) {
      if (e.EventType !== 'TaskFailed') assert.equal('Result' in e, false, String(e.EventType));
      assert.equal('EventId' in e || 'IsPlayed' in e, false);
    }
    const noInput = await history('showHistory=true&showHistoryOutput=true&showInput=false');
    assert.ok(noInput.every((e) => !('Input' in e)));
    assert.equal(noInput[1]?.Result, 'Hello, Tokyo!');
    const plain = (await call(`${api.hook}/instances/${id}`)).json() as object;
    assert.equal('historyEvents' in plain || 'history' in plain, false);
    await api.engine.start('Shape', { instanceId: 'shape-later', startAt: Date.now() + 3_600_000 });
    const pending = (await call(`${api.hook}/instances/shape-later?showHistory=true`)).json() as { runtimeStatus: string };
    assert.equal(pending.runtimeStatus, 'Pending');
    assert.equal('historyEvents' in pending, false, 'no history of a Pending instance, as the extension answers');
  });

  test('the stock client getStatus(id, {showHistory}) sees no history, in both its forms, as on the extension', async () => {
    // The client reads `history`, the extension sends `historyEvents` (azure-functions-durable-js#620): matching the
    // extension keeps an app from relying here on what func will not give it.
    for (const legacy of [false, true]) {
      const status = await api.served.client({ legacy }).getStatus(id, { showHistory: true, showHistoryOutput: true });
      assert.equal(status.runtimeStatus, 'Completed', legacy ? 'template form' : 'RPC form');
      assert.equal(status.history, undefined, legacy ? 'template form' : 'RPC form');
    }
  });
});
