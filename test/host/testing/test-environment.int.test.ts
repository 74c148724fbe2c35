import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createDurableEngine } from '../../../src/durable/engine.js';
import { createTestEnvironment } from '../../../src/host/testing/test-environment.js';
import { DirectInvoker } from '../../support/direct-invoker.js';
import { fixtureDir } from '../capture-logger.js';

interface CheckStatus {
  id: string;
  statusQueryGetUri: string;
}

test('real Azurite + engine: the HTTP starter starts an orchestration that completes', async () => {
  const env = await createTestEnvironment({ appDir: fixtureDir('sample-app') });
  try {
    const started = await env.postJson<CheckStatus>('/api/orchestrators/helloSequence', { from: 'test' });
    assert.equal(started.status, 202);
    const done = await env.waitForCompletion<Record<string, unknown>>(started.body.statusQueryGetUri, { timeoutMs: 30_000 });
    assert.equal(done.runtimeStatus, 'Completed');
    assert.deepEqual(done.output, ['Hello Tokyo!', 'Hello Seattle!']);
    assert.deepEqual(done.input, { from: 'test' });
    assert.equal(done.instanceId, started.body.id);
    const direct = await env.host.engine.getStatus(started.body.id);
    assert.equal(direct?.runtimeStatus, 'Completed');
  } finally {
    await env.teardown();
  }
});

test('time skipping: timer triggers follow the virtual clock; orchestrations still complete', async () => {
  const env = await createTestEnvironment({
    appDir: fixtureDir('sample-app'),
    timeSkipping: true,
    startTime: Date.UTC(2030, 5, 1, 12, 0, 0, 500),
    env: { SAMPLE_APP_MARKER: 'set' },
  });
  try {
    assert.equal(process.env.SAMPLE_APP_MARKER, 'set');
    assert.ok(env.virtualClock);
    await env.advanceTime(0);
    const before = (await env.getJson<unknown[]>('/api/ticks')).body;
    assert.equal(before.length, 1, 'only the runOnStartup tick before time moves');
    await env.advanceTime(10_000);
    const after = (await env.getJson<Array<{ lastUpdated: string }>>('/api/ticks')).body;
    assert.equal(after.length, 11);
    assert.equal(after[10]?.lastUpdated, '2030-06-01T12:00:10.000Z');

    const started = await env.postJson<CheckStatus>('/api/orchestrators/helloSequence', null);
    const done = await env.waitForCompletion<Record<string, unknown>>(started.body.statusQueryGetUri);
    assert.equal(done.runtimeStatus, 'Completed');
  } finally {
    await env.teardown();
  }
  assert.equal(process.env.SAMPLE_APP_MARKER, undefined, 'teardown restores the environment');
});

test('virtual time waits for the engine between timers: 100 one-minute durable timers, each followed by an activity, finish in one advanceTime, on the minute', async () => {
  const start = Date.UTC(2030, 5, 1, 12, 0, 0);
  const invoker = new DirectInvoker()
    .activity('Visit', async (n: number) => {
      await new Promise((resolve) => setTimeout(resolve, 2)); // real time passes; virtual time must not
      return n;
    })
    .orchestration('MinuteLoop', function* (ctx) {
      const woke: string[] = [];
      for (let i = 0; i < 100; i++) {
        yield ctx.df.createTimer(new Date(ctx.df.currentUtcDateTime.getTime() + 60_000));
        const n = (yield ctx.df.callActivity('Visit', i)) as number;
        woke.push(`${n}@${ctx.df.currentUtcDateTime.toISOString()}`);
      }
      return woke;
    });
  const env = await createTestEnvironment({
    appDir: fixtureDir('sample-app'),
    timeSkipping: true,
    startTime: start,
    // The real engine and durable-functions code, with this test's orchestration instead of the app's.
    engineFactory: (options) => createDurableEngine({ ...options, invoker }),
  });
  try {
    const id = await env.host.engine.start('MinuteLoop', {});
    await env.advanceTime(100 * 60_000);
    const status = await env.host.engine.getStatus(id);
    assert.equal(status?.runtimeStatus, 'Completed', JSON.stringify(status));
    assert.deepEqual(status?.output, Array.from({ length: 100 }, (_, i) => `${i}@${new Date(start + (i + 1) * 60_000).toISOString()}`));
    assert.equal(env.clock.now(), start + 100 * 60_000);
  } finally {
    await env.teardown();
  }
});
