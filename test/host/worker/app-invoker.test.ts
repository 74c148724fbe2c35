import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PayloadText, type HistoryEventJson, type OrchestrationTriggerPayload } from '../../../src/durable/wire-types.js';
import { useSampleApp } from './sample-app.js';

const sample = useSampleApp();

const T0 = '2030-01-01T00:00:00.000Z';
const T1 = '2030-01-01T00:00:01.000Z';
const T2 = '2030-01-01T00:00:02.000Z';

function event(type: number, fields: Record<string, unknown> = {}, timestamp = T0): HistoryEventJson {
  return { EventType: type, EventId: -1, IsPlayed: false, Timestamp: timestamp, ...fields };
}
const OrchestratorStarted = (ts: string): HistoryEventJson => event(12, {}, ts);
const ExecutionStarted = (input: unknown): HistoryEventJson => event(0, { Name: 'helloSequence', Input: JSON.stringify(input) });
const TaskScheduled = (id: number): HistoryEventJson => ({ ...event(4, { Name: 'sayHello' }), EventId: id });
const TaskCompleted = (id: number, result: unknown, ts: string): HistoryEventJson => event(5, { TaskScheduledId: id, Result: JSON.stringify(result) }, ts);
const OrchestratorCompleted = (ts: string): HistoryEventJson => event(13, {}, ts);

function payload(history: HistoryEventJson[]): OrchestrationTriggerPayload {
  return { instanceId: 'inst-1', history, input: null, isReplaying: false, parentInstanceId: '', upperSchemaVersion: 1 };
}

test('knows which functions are orchestrations and activities (case-insensitive, like the host)', () => {
  assert.equal(sample.invoker.hasOrchestration('helloSequence'), true);
  assert.equal(sample.invoker.hasOrchestration('HELLOSEQUENCE'), true);
  assert.equal(sample.invoker.hasOrchestration('sayHello'), false);
  assert.equal(sample.invoker.hasActivity('sayHello'), true);
  assert.equal(sample.invoker.hasActivity('hello'), false);
  assert.equal(sample.invoker.hasActivity('nope'), false);
});

test('an activity gets its input and its return value comes back', async () => {
  assert.equal(await sample.invoker.invokeActivity('sayHello', 'Tokyo', { instanceId: 'inst-1', taskId: 0 }), 'Hello Tokyo!');
  // A string that looks like JSON stays a string on the way in (the host sends it as JSON data).
  assert.equal(await sample.invoker.invokeActivity('sayHello', '42', { instanceId: 'inst-1', taskId: 1 }), 'Hello 42!');
});

test('an activity that throws rejects with its error', async () => {
  await assert.rejects(sample.invoker.invokeActivity('failActivity', null, { instanceId: 'inst-1', taskId: 0 }), /activity boom/);
});

test('the first orchestration episode schedules the first activity', async () => {
  const state = await sample.invoker.invokeOrchestration('helloSequence', payload([OrchestratorStarted(T0), ExecutionStarted(null)]));
  assert.equal(state.isDone, false);
  assert.deepEqual(state.actions, [[{ actionType: 0, functionName: 'sayHello', input: '"Tokyo"' }]]);
});

test('replaying a completed first activity schedules the second, then the orchestration completes', async () => {
  const afterFirst = [
    OrchestratorStarted(T0),
    ExecutionStarted(null),
    TaskScheduled(0),
    OrchestratorCompleted(T0),
    OrchestratorStarted(T1),
    TaskCompleted(0, 'Hello Tokyo!', T1),
  ];
  const second = await sample.invoker.invokeOrchestration('helloSequence', payload(afterFirst));
  assert.equal(second.isDone, false);
  const flat = (second.actions as unknown[][]).flat() as Array<Record<string, unknown>>;
  assert.deepEqual(flat.map((a) => a.input), ['"Tokyo"', '"Seattle"']);

  const done = await sample.invoker.invokeOrchestration(
    'helloSequence',
    payload([...afterFirst, TaskScheduled(1), OrchestratorCompleted(T1), OrchestratorStarted(T2), TaskCompleted(1, 'Hello Seattle!', T2)]),
  );
  assert.equal(done.isDone, true);
  assert.deepEqual(done.output, ['Hello Tokyo!', 'Hello Seattle!']);
});

test('a payload handed over as its JSON text (as the engine sends it) runs the same episode as the object', async () => {
  const history = [OrchestratorStarted(T0), ExecutionStarted(null), TaskScheduled(0), OrchestratorCompleted(T0), OrchestratorStarted(T1), TaskCompleted(0, 'Hello Tokyo!', T1)];
  const asObject = await sample.invoker.invokeOrchestration('helloSequence', payload(history));
  const asText = await sample.invoker.invokeOrchestration('helloSequence', new PayloadText('inst-1', history.length, JSON.stringify(payload(history))));
  assert.deepEqual(asText, asObject);
});

test('a failing orchestration episode returns its state with the error (as the extension reads it)', async () => {
  const failed = await sample.invoker.invokeOrchestration(
    'helloSequence',
    payload([
      OrchestratorStarted(T0),
      ExecutionStarted(null),
      TaskScheduled(0),
      OrchestratorCompleted(T0),
      OrchestratorStarted(T1),
      event(6, { TaskScheduledId: 0, Reason: 'activity boom', Details: 'stack' }, T1),
    ]),
  );
  assert.equal(failed.isDone, false);
  assert.match(String(failed.error), /activity boom/);
});

test('invoking a function that is not an orchestration / activity rejects with FUNCTION_NOT_FOUND', async () => {
  await assert.rejects(sample.invoker.invokeActivity('helloSequence', null, { instanceId: 'i', taskId: 0 }), { code: 'FUNCTION_NOT_FOUND' });
  await assert.rejects(sample.invoker.invokeOrchestration('missing', payload([OrchestratorStarted(T0)])), { code: 'FUNCTION_NOT_FOUND' });
});

test('a function with a durableClient input cannot run before the host provides the client data', async () => {
  const starter = sample.app.get('startOrchestration');
  assert.ok(starter);
  await assert.rejects(
    sample.invoker.invokeHttp(starter, { method: 'POST', url: 'http://127.0.0.1/api/orchestrators/x', headers: {}, params: { name: 'x' } }),
    { code: 'NO_DURABLE_CLIENT' },
  );
});
