/**
 * Rewind of orchestrations that failed in their OWN code (not in an activity), through the stock JS DurableClient on
 * the embedded host running the samples app: the orchestrator runs again, as the extension's rewind does it (the failed
 * ExecutionCompleted cleared, a GenericEvent with the reason replayed). Unchanged code fails again with the same
 * error, but in a new episode; code fixed in between goes on from where it failed, alone or as a child.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSamples, type SamplesEnv } from './samples-env.js';

type HistoryEvent = Record<string, unknown>;

let s: SamplesEnv;
before(async () => {
  s = await startSamples('SamplesRewind');
});
after(async () => s?.teardown());

async function history(id: string): Promise<HistoryEvent[]> {
  const response = await s.env.fetch(`/runtime/webhooks/durabletask/instances/${id}?showHistory=true&showHistoryOutput=true`);
  return ((await response.json()) as { historyEvents: HistoryEvent[] }).historyEvents;
}

async function until<T>(what: string, read: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function fixBug(name: string): Promise<void> {
  const response = await s.env.fetch(`/api/world/fixed-bugs/${encodeURIComponent(name)}`, { method: 'PUT' });
  assert.equal(response.status, 200);
}

test('throwsErrorInLine rewound: the orchestrator runs again and fails again with its own error, in a new episode', async () => {
  const id = await s.client.startNew('throwsErrorInLine', { instanceId: 'rewind-inline' });
  const failed = await s.settle(id, 'Failed');
  const before = await history(id);
  assert.deepEqual(before.map((e) => e.EventType), ['ExecutionStarted', 'ExecutionCompleted']);
  await s.client.rewind(id, 'try again');
  const after = await until('the orchestrator to run again', async () => {
    const events = await history(id);
    return events.at(-1)?.EventType === 'ExecutionCompleted' && events.length > before.length ? events : undefined;
  });
  // As the extension's rewind leaves it: the old failure's place a GenericEvent, the reason's GenericEvent, the new end.
  assert.deepEqual(after.map((e) => [e.EventType, e.Data]), [
    ['ExecutionStarted', undefined],
    ['GenericEvent', undefined],
    ['GenericEvent', 'try again'],
    ['ExecutionCompleted', undefined],
  ]);
  assert.equal(after[1]?.Timestamp, before[1]?.Timestamp, 'the old failure\'s time');
  assert.ok(String(after[3]?.Timestamp) > String(before[1]?.Timestamp), 'a new failure, not the old one');
  const again = await s.settle(id, 'Failed');
  assert.equal(again.output, failed.output, 'unchanged code: the same error');
});

test('a bug in the orchestrator, fixed before the rewind: it goes on from where it failed and completes', async () => {
  const id = await s.client.startNew('buggyReport', { instanceId: 'rewind-fixed', input: 'Oslo' });
  const failed = await s.settle(id, 'Failed');
  assert.match(String(failed.output), /buggyReport: a bug in the orchestrator/);
  await fixBug(id);
  await s.client.rewind(id, 'fixed');
  const done = await s.settle(id, 'Completed');
  assert.deepEqual(done.output, ['Hello Oslo', 'Hello again']);
  const types = (await history(id)).map((e) => e.EventType);
  assert.deepEqual(types, ['ExecutionStarted', 'TaskCompleted', 'GenericEvent', 'GenericEvent', 'TaskCompleted', 'ExecutionCompleted'], 'the first activity did not run again');
});

test('a parent whose child failed in its own code: the rewind of the parent runs the fixed child again, both complete', async () => {
  const id = await s.client.startNew('parentOfBuggy', { instanceId: 'rewind-parent', input: 'Lima' });
  const failed = await s.settle(id, 'Failed');
  assert.match(String(failed.output), /buggyReport: a bug in the orchestrator/);
  assert.equal((await s.client.getStatus(`${id}:report`)).runtimeStatus, 'Failed');
  await fixBug(`${id}:report`);
  await s.client.rewind(id, 'fixed');
  const done = await s.settle(id, 'Completed');
  assert.deepEqual(done.output, { report: ['Hello Lima', 'Hello again'] });
  assert.equal((await s.client.getStatus(`${id}:report`)).runtimeStatus, 'Completed');
});
