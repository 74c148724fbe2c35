/**
 * The samples' sub-orchestrations on the embedded host: a child with an engine-made id, and children whose ids the
 * parent chooses, run in parallel.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as df from 'durable-functions';
import { startSamples, type SamplesEnv } from './samples-env.js';

let s: SamplesEnv;
before(async () => {
  s = await startSamples('SamplesSubOrch');
});
after(async () => s?.teardown());

test('without an id: the child runs to completion and its output is the parent output', async () => {
  const id = await s.client.startNew('sayHelloWithSubOrchestrator', { instanceId: 'sub-no-id', input: 'Rome' });
  const done = await s.settle(id, 'Completed');
  assert.equal(done.output, 'Hello Rome');
  const children = (await s.client.getStatusBy({ runtimeStatus: [df.OrchestrationRuntimeStatus.Completed] })).filter(
    (x) => x.name === 'sayHelloWithActivity',
  );
  assert.equal(children.length, 1, 'exactly one child instance');
  const child = await s.client.getStatus(children[0]?.instanceId ?? '', { showInput: true });
  assert.match(child.instanceId, /^[0-9a-f]{32}:0$/, 'named `<parent executionId>:<task id>` as DurableTask.Core names it');
  assert.equal(child.input, 'Rome');
  assert.equal(child.output, 'Hello Rome');
});

test('with ids: three children in parallel under the ids the parent gave, outputs in call order', async () => {
  const id = await s.client.startNew('greetCitiesWithIds', { instanceId: 'sub-ids', input: ['Paris', 'Berlin', 'Madrid'] });
  const done = await s.settle(id, 'Completed');
  assert.deepEqual(done.output, ['Hello Paris', 'Hello Berlin', 'Hello Madrid']);
  for (const city of ['Paris', 'Berlin', 'Madrid']) {
    const child = await s.client.getStatus(`sub-ids:${city.toLowerCase()}`);
    assert.equal(child.runtimeStatus, 'Completed');
    assert.equal(child.name, 'sayHelloWithCustomStatus');
    assert.equal(child.customStatus, `Hello ${city}`);
  }
});

test('a failing child fails the parent that does not catch, naming the child failure', async () => {
  const id = await s.client.startNew('callFailingChild', { instanceId: 'sub-fails' });
  const failed = await s.settle(id, 'Failed');
  assert.match(String(failed.output), /^Orchestrator function 'callFailingChild' failed: .*throwsErrorInLine does what it says on the tin\./s);
  const child = await s.client.getStatus('sub-fails:child');
  assert.equal(child.runtimeStatus, 'Failed');
  assert.match(String(child.output), /^Orchestrator function 'throwsErrorInLine' failed: throwsErrorInLine does what it says on the tin\./);
});

test('a child without an id is named after the parent EXECUTION, so each execution of an eternal parent gets its own', async () => {
  const id = await s.client.startNew('childPerExecution', { instanceId: 'sub-eternal', input: { round: 0, rounds: 3, greetings: [] } });
  const done = await s.settle(id, 'Completed');
  assert.deepEqual(done.output, ['Hello round 0', 'Hello round 1', 'Hello round 2']);
  // As DurableTask.Core names them: `<parent executionId>:<task id>` (the extension passes no id down).
  const children = (await s.client.getStatusAll()).filter((x) => x.name === 'sayHelloWithActivity' && String(x.output).startsWith('Hello round'));
  const ids = children.map((x) => x.instanceId);
  assert.equal(children.length, 3, `three child instances, not one replaced: ${ids.join(', ')}`);
  for (const child of ids) assert.match(child, /^[0-9a-f]{32}:0$/);
  assert.deepEqual(children.map((x) => x.output).sort(), ['Hello round 0', 'Hello round 1', 'Hello round 2']);
});

test('a child without an id called with retries: each attempt is its own child, `<parent executionId>:<task id of the attempt>`', async () => {
  const id = await s.client.startNew('retryChildWithoutId', { instanceId: 'sub-retry-no-id', input: { key: 'sub-retry-no-id', failures: 2 } });
  const done = await s.settle(id, 'Completed');
  assert.equal(done.output, 'sub-retry-no-id succeeded on attempt 3');
  const children = (await s.client.getStatusAll()).filter((x) => x.name === 'flakyChild');
  // Attempts take task ids 0, 2 and 4; the retry timers between them take 1 and 3 (DurableTask.Core's RetryInterceptor).
  const byTask = new Map(children.map((x) => [x.instanceId.split(':')[1], x.runtimeStatus]));
  assert.deepEqual([...byTask.entries()].sort(), [['0', 'Failed'], ['2', 'Failed'], ['4', 'Completed']]);
  assert.equal(new Set(children.map((x) => x.instanceId.split(':')[0])).size, 1, 'one parent execution id');
  assert.ok(children.every((x) => /^[0-9a-f]{32}:\d$/.test(x.instanceId)), children.map((x) => x.instanceId).join(', '));
});
