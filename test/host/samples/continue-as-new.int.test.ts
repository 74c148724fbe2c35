/**
 * The samples' continue-as-new (continueAsNewCounter) on the embedded host: one count per execution after a short
 * timer, the instance keeping its id, its status showing the current execution's input.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSamples, sleep, type SamplesEnv } from './samples-env.js';

let s: SamplesEnv;
before(async () => {
  s = await startSamples('SamplesAsNew');
});
after(async () => s?.teardown());

test('counts to 5 over five executions of one instance, then completes with 5', async () => {
  const id = await s.client.startNew('continueAsNewCounter', { instanceId: 'counter-5', input: { value: 0, until: 5, delayMs: 150 } });
  const seen: number[] = [];
  const deadline = Date.now() + 20_000;
  for (;;) {
    const status = await s.client.getStatus(id, { showInput: true });
    const value = (status.customStatus as { value?: number } | null)?.value;
    if (value !== undefined && seen.at(-1) !== value) seen.push(value);
    if (`${status.runtimeStatus}` === 'Completed') {
      assert.equal(status.output, 5);
      assert.deepEqual(status.input, { value: 4, until: 5, delayMs: 150 }, 'the input of the last execution');
      break;
    }
    assert.equal(status.runtimeStatus, 'Running', 'Running between executions, never ContinuedAsNew');
    if (Date.now() > deadline) throw new Error(`not done; seen ${seen.join(',')}`);
    await sleep(20);
  }
  assert.ok(seen.length >= 2, `saw the counter move through executions: ${seen.join(',')}`);
  assert.deepEqual([...seen].sort((a, b) => a - b), seen, 'the count only goes up');
  assert.equal(seen.at(-1), 5);
});

test('each execution waits for its timer: five 200 ms timers take a second', async () => {
  const started = Date.now();
  const id = await s.client.startNew('continueAsNewCounter', { input: { value: 0, until: 5, delayMs: 200 } });
  await s.settle(id, 'Completed');
  assert.ok(Date.now() - started >= 1_000);
});

test('terminating a counter between executions ends it for good', async () => {
  const id = await s.client.startNew('continueAsNewCounter', { instanceId: 'counter-stop', input: { value: 0, until: 1000, delayMs: 50 } });
  const deadline = Date.now() + 10_000;
  while ((((await s.client.getStatus(id)).customStatus as { value?: number } | null)?.value ?? 0) < 3) {
    if (Date.now() > deadline) throw new Error('counter did not reach 3');
    await sleep(20);
  }
  await s.client.terminate(id, 'stopped at 3 or more');
  const terminated = await s.settle(id, 'Terminated');
  assert.equal(terminated.output, 'stopped at 3 or more');
  const value = (terminated.customStatus as { value: number }).value;
  await sleep(300);
  const later = await s.client.getStatus(id);
  assert.equal(later.runtimeStatus, 'Terminated');
  assert.equal((later.customStatus as { value: number }).value, value, 'no execution after the terminate');
});
