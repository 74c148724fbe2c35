/**
 * The samples' function chaining (helloSequence and friends) and a cancelled timer, on the embedded host: started
 * through the app's own HTTP starter and through the stock client.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSamples, type SamplesEnv } from './samples-env.js';

interface CheckStatus {
  id: string;
  statusQueryGetUri: string;
}

let s: SamplesEnv;
before(async () => {
  s = await startSamples('SamplesChaining');
});
after(async () => s?.teardown());

test('helloSequence started over HTTP: 202 with Location, then three greetings in order', async () => {
  const response = await s.env.fetch('/api/orchestrators/helloSequence', { method: 'POST' });
  assert.equal(response.status, 202);
  const started = (await response.json()) as CheckStatus;
  assert.equal(response.headers.get('location'), started.statusQueryGetUri);
  const done = await s.env.waitForCompletion<Record<string, unknown>>(started.statusQueryGetUri);
  assert.equal(done.runtimeStatus, 'Completed');
  assert.equal(done.name, 'helloSequence');
  assert.deepEqual(done.output, ['Hello Tokyo', 'Hello Seattle', 'Hello Cairo']);
});

test('sayHelloWithActivity returns the activity output for the input', async () => {
  const id = await s.client.startNew('sayHelloWithActivity', { input: 'Lisbon' });
  const done = await s.settle(id, 'Completed');
  assert.equal(done.output, 'Hello Lisbon');
  assert.equal(done.input, 'Lisbon');
});

test('sayHelloWithCustomStatus leaves its greeting as the custom status', async () => {
  const id = await s.client.startNew('sayHelloWithCustomStatus', { input: 'Oslo' });
  const done = await s.settle(id, 'Completed');
  assert.equal(done.output, 'Hello Oslo');
  assert.equal(done.customStatus, 'Hello Oslo');
});

test('cancelTimer: the activity wins, the two-minute timer is cancelled, the orchestration completes at once', async () => {
  const started = Date.now();
  const id = await s.client.startNew('cancelTimer');
  const done = await s.settle(id, 'Completed', 10_000);
  assert.equal(done.output, 'Hello from the other side');
  assert.ok(Date.now() - started < 10_000);
});
