/**
 * The samples' retries on the embedded host: callActivityWithRetry against a flaky service (fails twice then
 * succeeds; exhausts its attempts, caught and uncaught) and callSubOrchestratorWithRetry (a child that always
 * throws; a child that fails once). Retry intervals of 100 ms.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSamples, type SamplesEnv } from './samples-env.js';

let s: SamplesEnv;
before(async () => {
  s = await startSamples('SamplesRetries');
});
after(async () => s?.teardown());

async function attempts(key: string): Promise<number> {
  return (await s.world<{ attempts: number }>(`attempts/${key}`)).attempts;
}

test('fails twice, then succeeds on the third attempt, after the retry intervals', async () => {
  const started = Date.now();
  const id = await s.client.startNew('callActivityWithRetry', {
    input: { key: 'twice', failures: 2, maxAttempts: 3, firstRetryMs: 100 },
  });
  const done = await s.settle(id, 'Completed');
  assert.deepEqual(done.output, { result: 'twice succeeded on attempt 3' });
  assert.equal(await attempts('twice'), 3);
  assert.ok(Date.now() - started >= 200, 'two retry intervals of 100 ms were waited');
});

test('with a back-off coefficient of 2 the intervals double: 100 ms, then 200 ms', async () => {
  const started = Date.now();
  const id = await s.client.startNew('callActivityWithRetry', {
    input: { key: 'backoff', failures: 2, maxAttempts: 3, firstRetryMs: 100, backoffCoefficient: 2 },
  });
  assert.deepEqual((await s.settle(id, 'Completed')).output, { result: 'backoff succeeded on attempt 3' });
  assert.ok(Date.now() - started >= 300, 'waited 100 + 200 ms');
});

test('exhausts its attempts: the orchestrator catches the last failure', async () => {
  const id = await s.client.startNew('callActivityWithRetry', {
    input: { key: 'always', failures: 99, maxAttempts: 2, firstRetryMs: 100 },
  });
  const done = await s.settle(id, 'Completed');
  const { caught } = done.output as { caught: string };
  assert.match(caught, /flaky always failed attempt 2/);
  assert.equal(await attempts('always'), 2, 'no attempt past maxNumberOfAttempts');
});

test('exhausts its attempts uncaught: the orchestration fails with the activity failure', async () => {
  const id = await s.client.startNew('callActivityWithRetry', {
    input: { key: 'uncaught', failures: 99, maxAttempts: 3, firstRetryMs: 100, uncaught: true },
  });
  const failed = await s.settle(id, 'Failed');
  assert.match(String(failed.output), /^Orchestrator function 'callActivityWithRetry' failed: .*flaky uncaught failed attempt 3/s);
  assert.equal(await attempts('uncaught'), 3);
});

test('callSubOrchestratorWithRetry: a child that always throws is tried maxAttempts times, then the parent catches', async () => {
  const id = await s.client.startNew('callSubOrchestratorWithRetry', {
    input: { child: 'throwsErrorInLine', childInput: 'Matter', maxAttempts: 2, firstRetryMs: 100 },
  });
  const done = await s.settle(id, 'Completed');
  const { caught } = done.output as { caught: string };
  assert.match(caught, /throwsErrorInLine does what it says on the tin\./);
  const child = await s.client.getStatus(`${id}:0`);
  assert.equal(child.runtimeStatus, 'Failed');
  assert.equal(child.name, 'throwsErrorInLine');
});

test('callSubOrchestratorWithRetry: a child that fails once succeeds on its retry, under the same id', async () => {
  const id = await s.client.startNew('callSubOrchestratorWithRetry', {
    input: { child: 'flakyChild', childInput: { key: 'child-once', failures: 1 }, maxAttempts: 3, firstRetryMs: 100 },
  });
  const done = await s.settle(id, 'Completed');
  assert.deepEqual(done.output, { result: 'child-once succeeded on attempt 2' });
  const child = await s.client.getStatus(`${id}:0`);
  assert.equal(child.runtimeStatus, 'Completed');
  assert.equal(child.output, 'child-once succeeded on attempt 2');
  assert.equal(await attempts('child-once'), 2);
});
