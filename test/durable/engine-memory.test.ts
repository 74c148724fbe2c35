/**
 * Step planning through the whole engine on the memory store (no Azurite, fast): continue-as-new carrying raised
 * events, engine-driven retries and their task ids, suspend/resume in their place among a burst of messages.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as df from 'durable-functions';
import type { Clock } from '../../src/durable/clock/clock.js';
import { createDurableEngine } from '../../src/durable/engine.js';
import { EventType } from '../../src/durable/instance-state.js';
import { MemoryStore } from '../../src/durable/store/memory/memory-store.js';
import type { DurableEngineRuntime } from '../../src/durable/engine-api.js';
import { SystemClock } from '../../src/durable/clock/system-clock.js';
import { DirectInvoker } from '../support/direct-invoker.js';
import { testLogger, waitForStatus } from './harness.js';

/** An engine on `store`; `run: false` makes a client that never takes the lease (messages wait in the store). */
async function engineOn(store: MemoryStore, invoker: DirectInvoker, opts: { clock?: Clock; run?: boolean; workerId?: string } = {}): Promise<DurableEngineRuntime> {
  const engine = createDurableEngine(
    {
      connectionString: 'memory',
      taskHubName: 'MemoryHub',
      invoker,
      clock: opts.clock ?? new SystemClock(),
      logger: testLogger(),
      workerId: opts.workerId ?? 'memory-worker',
    },
    { safetyScanIntervalMs: 0 },
    () => store,
  );
  if (opts.run ?? true) await engine.run();
  return engine;
}

test('memory: events raised in a burst around continue-as-new are carried over, none lost', async () => {
  const invoker = new DirectInvoker().orchestration('Counter', function* (ctx) {
    const count: number = ctx.df.getInput();
    const add: number = yield ctx.df.waitForExternalEvent('Add');
    const next = count + add;
    if (next >= 15) return next;
    ctx.df.continueAsNew(next);
    return undefined;
  });
  const store = new MemoryStore();
  const engine = await engineOn(store, invoker);
  try {
    const id = await engine.start('Counter', { input: 0 });
    await waitForStatus(engine, id, ['Running']);
    for (const n of [1, 2, 3, 4, 5]) await engine.raiseEvent(id, 'Add', n);
    assert.equal((await waitForStatus(engine, id, ['Completed', 'Failed'])).output, 15);
  } finally {
    await engine.shutdown();
  }
});

test('memory: a with-retry activity is retried by the engine with the task ids the orchestrator expects', async () => {
  let calls = 0;
  const invoker = new DirectInvoker()
    .activity('Flaky', (n: number) => {
      calls++;
      if (calls <= 2) throw new Error(`flaky failure ${calls}`);
      return n + 1;
    })
    .activity('After', (n: number) => n * 10)
    .orchestration('Retrying', function* (ctx) {
      const options = new df.RetryOptions(20, 4);
      options.backoffCoefficient = 2;
      const value: number = yield ctx.df.callActivityWithRetry('Flaky', options, 41);
      const after: number = yield ctx.df.callActivity('After', value);
      return { value, after };
    });
  const engine = await engineOn(new MemoryStore(), invoker);
  try {
    const id = await engine.start('Retrying', {});
    const status = await waitForStatus(engine, id, ['Completed', 'Failed']);
    assert.deepEqual(status.output, { value: 42, after: 420 });
    assert.equal(calls, 3);
    const history = (await engine.getStatus(id, { showHistory: true }))?.history as { EventType: number; EventId: number; TimerId?: number; TaskScheduledId?: number }[];
    const shape = history
      .filter((e) => [EventType.TaskScheduled, EventType.TaskFailed, EventType.TaskCompleted, EventType.TimerCreated, EventType.TimerFired].includes(e.EventType as 4))
      .map((e) => `${e.EventType}:${e.EventType === EventType.TaskScheduled || e.EventType === EventType.TimerCreated ? e.EventId : (e.TaskScheduledId ?? e.TimerId)}`);
    assert.deepEqual(shape, ['4:0', '6:0', '10:1', '11:1', '4:2', '6:2', '10:3', '11:3', '4:4', '5:4', '4:5', '5:5']);
  } finally {
    await engine.shutdown();
  }
});

test('memory: suspend and resume apply in their place among a burst; the orchestrator sees every event in send order', async () => {
  const count = 12;
  const invoker = new DirectInvoker().orchestration('InOrder', function* (ctx) {
    const got: number[] = [];
    for (let i = 0; i < count; i++) got.push(yield ctx.df.waitForExternalEvent('Item'));
    return got;
  });
  const store = new MemoryStore();
  const first = await engineOn(store, invoker);
  await first.start('InOrder', { instanceId: 'ordered' });
  await waitForStatus(first, 'ordered', ['Running']);
  await first.shutdown();
  // The burst lands while no engine runs, so the next owner's first step sees all of it at once.
  const client = await engineOn(store, invoker, { run: false, workerId: 'client' });
  for (let i = 0; i < count; i++) {
    if (i === 4) await client.suspend('ordered', 'pause');
    if (i === 8) await client.resume('ordered', 'go on');
    await client.raiseEvent('ordered', 'Item', i);
  }
  const second = await engineOn(store, invoker);
  try {
    const done = await waitForStatus(second, 'ordered', ['Completed', 'Failed']);
    assert.deepEqual(done.output, Array.from({ length: count }, (_, i) => i));
    const history = ((await second.getStatus('ordered', { showHistory: true }))?.history ?? []) as { EventType: number; Input?: string }[];
    const raisedBefore = (type: number): number => history.slice(0, history.findIndex((e) => e.EventType === type)).filter((e) => e.EventType === EventType.EventRaised).length;
    assert.equal(raisedBefore(EventType.ExecutionSuspended), 4, 'the suspend after the first four events');
    assert.ok(raisedBefore(EventType.ExecutionResumed) <= 4, 'nothing taken while suspended');
  } finally {
    await second.shutdown();
  }
});
