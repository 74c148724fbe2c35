/**
 * The engine's scenarios, written once and run on every store (engine-azure-tables.int.test.ts: Azure Tables on a real
 * Azurite; engine-memory.test.ts: the memory store), like the HubStore contract: whatever the engine promises holds
 * on both.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as df from 'durable-functions';
import { VirtualClock } from '../../src/durable/clock/virtual-clock.js';
import { SystemClock } from '../../src/durable/clock/system-clock.js';
import { EventType } from '../../src/durable/instance-state.js';
import { HISTORY_PREFIX } from '../../src/durable/keys.js';
import { HOLD_MS } from '../../src/durable/runtime/held-step.js';
import type { HubStore } from '../../src/durable/store/hub-store.js';
import type { DurableEngineRuntime, FunctionInvoker } from '../../src/durable/engine-api.js';
import { WorkerUnavailableError } from '../../src/durable/errors.js';
import type { Clock } from '../../src/durable/clock/clock.js';
import { DirectInvoker } from '../support/direct-invoker.js';
import { settle, uniqueHub, waitFor, waitForStatus, type EngineSetup } from './harness.js';

/** How a scenario reaches the store under test. */
export interface EngineBackend {
  /** An engine on `hub` (a fresh hub unless given), running unless `run: false` (a client that never takes the lease). */
  engine(setup: ScenarioSetup): Promise<DurableEngineRuntime>;
  /** The hub's store, opened beside its engines: what storage holds. */
  store(hub: string): Promise<HubStore>;
}

export type ScenarioSetup = Omit<EngineSetup, 'connectionString' | 'openStore'>;

type Scenario = [name: string, run: (backend: EngineBackend) => Promise<void>];
const scenarios: Scenario[] = [];

function scenario(name: string, run: (backend: EngineBackend) => Promise<void>): void {
  scenarios.push([name, run]);
}

/** Defines one test per scenario on `backend`, each named `<label>: <scenario>`. */
export function engineScenarios(label: string, backend: EngineBackend): void {
  for (const [name, run] of scenarios) test(`${label}: ${name}`, () => run(backend));
}

scenario('an activity chain runs to completion with each result fed to the next step', async (b) => {
  const invoker = new DirectInvoker()
    .activity('Hello', (name: string) => `Hello, ${name}!`)
    .orchestration('Chain', function* (ctx) {
      const out: string[] = [];
      out.push((yield ctx.df.callActivity('Hello', 'Tokyo')) as string);
      out.push((yield ctx.df.callActivity('Hello', 'Seattle')) as string);
      out.push((yield ctx.df.callActivity('Hello', 'London')) as string);
      return out;
    });
  const engine = await b.engine({ invoker });
  try {
    const id = await engine.start('Chain', { input: null });
    const status = await waitForStatus(engine, id, ['Completed', 'Failed']);
    assert.equal(status.runtimeStatus, 'Completed');
    assert.deepEqual(status.output, ['Hello, Tokyo!', 'Hello, Seattle!', 'Hello, London!']);
    const withHistory = await engine.getStatus(id, { showHistory: true, showHistoryOutput: true });
    const history = withHistory?.history as { EventType: number; EventId: number; TaskScheduledId?: number }[];
    assert.deepEqual(history.filter((e) => e.EventType === EventType.TaskScheduled).map((e) => e.EventId), [0, 1, 2]);
    assert.deepEqual(history.filter((e) => e.EventType === EventType.TaskCompleted).map((e) => e.TaskScheduledId), [0, 1, 2]);
  } finally {
    await engine.shutdown();
  }
});

scenario('fan-out/fan-in with Task.all schedules in parallel and gathers all results', async (b) => {
  const invoker = new DirectInvoker()
    .activity('Square', (n: number) => n * n)
    .orchestration('FanOut', function* (ctx) {
      const tasks = [1, 2, 3, 4, 5].map((n) => ctx.df.callActivity('Square', n));
      const results = (yield ctx.df.Task.all(tasks)) as number[];
      return results.reduce((a, b) => a + b, 0);
    });
  const engine = await b.engine({ invoker });
  try {
    const id = await engine.start('FanOut', {});
    const status = await waitForStatus(engine, id, ['Completed', 'Failed']);
    assert.equal(status.output, 55);
  } finally {
    await engine.shutdown();
  }
});

scenario('a with-retry activity that fails twice then succeeds returns its value to the orchestrator', async (b) => {
  let calls = 0;
  const invoker = new DirectInvoker()
    .activity('Flaky', (n: number) => {
      calls++;
      if (calls <= 2) throw new Error(`flaky failure ${calls}`);
      return n + 1;
    })
    .activity('After', (n: number) => n * 10)
    .orchestration('Retrying', function* (ctx) {
      const options = new df.RetryOptions(50, 4);
      options.backoffCoefficient = 2;
      const value = (yield ctx.df.callActivityWithRetry('Flaky', options, 41)) as number;
      const after = (yield ctx.df.callActivity('After', value)) as number;
      return { value, after };
    });
  const engine = await b.engine({ invoker });
  try {
    const id = await engine.start('Retrying', {});
    const status = await waitForStatus(engine, id, ['Completed', 'Failed']);
    assert.equal(status.runtimeStatus, 'Completed', JSON.stringify(status.output));
    assert.deepEqual(status.output, { value: 42, after: 420 });
    assert.equal(calls, 3);
    const history = (await engine.getStatus(id, { showHistory: true }))?.history as { EventType: number; EventId: number; TimerId?: number; TaskScheduledId?: number }[];
    const shape = history
      .filter((e) => [EventType.TaskScheduled, EventType.TaskFailed, EventType.TaskCompleted, EventType.TimerCreated, EventType.TimerFired].includes(e.EventType as 4))
      .map((e) => `${e.EventType}:${e.EventType === EventType.TaskScheduled || e.EventType === EventType.TimerCreated ? e.EventId : (e.TaskScheduledId ?? e.TimerId)}`);
    // TaskScheduled 0, failed; retry timer 1; TaskScheduled 2, failed; timer 3; TaskScheduled 4, completed; After = 5.
    assert.deepEqual(shape, ['4:0', '6:0', '10:1', '11:1', '4:2', '6:2', '10:3', '11:3', '4:4', '5:4', '4:5', '5:5']);
  } finally {
    await engine.shutdown();
  }
});

scenario('a with-retry activity that keeps failing fails the orchestration after maxNumberOfAttempts', async (b) => {
  let calls = 0;
  const invoker = new DirectInvoker()
    .activity('Broken', () => {
      calls++;
      throw new Error('always broken');
    })
    .orchestration('GivesUp', function* (ctx) {
      try {
        yield ctx.df.callActivityWithRetry('Broken', new df.RetryOptions(20, 3), null);
        return 'unexpected';
      } catch (err) {
        return `caught: ${(err as Error).message}`;
      }
    });
  const engine = await b.engine({ invoker });
  try {
    const id = await engine.start('GivesUp', {});
    const status = await waitForStatus(engine, id, ['Completed', 'Failed']);
    assert.equal(status.runtimeStatus, 'Completed');
    assert.match(String(status.output), /^caught: .*always broken/);
    assert.equal(calls, 3);
  } finally {
    await engine.shutdown();
  }
});

scenario('a durable timer fires when the virtual clock reaches it, not before', async (b) => {
  const clock = new VirtualClock(Date.UTC(2030, 0, 1));
  const invoker = new DirectInvoker()
    .activity('Stamp', () => 'stamped')
    .orchestration('Sleeper', function* (ctx) {
      const fireAt = new Date(ctx.df.currentUtcDateTime.getTime() + 60 * 60 * 1000);
      yield ctx.df.createTimer(fireAt);
      const stamp = (yield ctx.df.callActivity('Stamp', null)) as string;
      return { woke: ctx.df.currentUtcDateTime.toISOString(), stamp };
    });
  const engine = await b.engine({ invoker, clock });
  try {
    const id = await engine.start('Sleeper', {});
    await waitForStatus(engine, id, ['Running']);
    await waitFor(async () => {
      const history = (await engine.getStatus(id, { showHistory: true }))?.history as { EventType: number }[] | undefined;
      return history?.some((e) => e.EventType === EventType.TimerCreated) ? true : undefined;
    }, 'the timer to be created');
    await clock.advanceBy(59 * 60 * 1000);
    await settle(300);
    assert.equal((await engine.getStatus(id))?.runtimeStatus, 'Running');
    await clock.advanceBy(60 * 1000);
    const status = await waitForStatus(engine, id, ['Completed', 'Failed']);
    assert.equal(status.runtimeStatus, 'Completed');
    assert.deepEqual(status.output, { woke: new Date(Date.UTC(2030, 0, 1, 1)).toISOString(), stamp: 'stamped' });
  } finally {
    await engine.shutdown();
  }
});

scenario('continue-as-new loops keep the stored history bounded', async (b) => {
  const invoker = new DirectInvoker()
    .activity('Inc', (n: number) => n + 1)
    .orchestration('Loop', function* (ctx) {
      const n: number = ctx.df.getInput();
      const next = (yield ctx.df.callActivity('Inc', n)) as number;
      if (next >= 30) return next;
      ctx.df.continueAsNew(next);
      return undefined;
    });
  const engine = await b.engine({ invoker });
  try {
    const id = await engine.start('Loop', { input: 0 });
    const status = await waitForStatus(engine, id, ['Completed', 'Failed'], 60_000);
    assert.equal(status.output, 30);
    // Count the partition's history rows: old executions are garbage-collected.
    const store = await b.store(engine.taskHubName);
    await waitFor(async () => {
      const rows = (await store.rowKeysOf(id)).filter((key) => key.startsWith(HISTORY_PREFIX)).length;
      return rows <= 4 ? rows : undefined;
    }, 'history of earlier executions to be collected');
    const history = (await engine.getStatus(id, { showHistory: true }))?.history as unknown[];
    assert.ok(history.length < 15, `history of the last execution only, got ${history.length}`);
  } finally {
    await engine.shutdown();
  }
});

scenario('waitForExternalEvent resumes with the raised event data', async (b) => {
  const invoker = new DirectInvoker().orchestration('Approval', function* (ctx) {
    const approval = (yield ctx.df.waitForExternalEvent('Approved')) as { by: string };
    return `approved by ${approval.by}`;
  });
  const engine = await b.engine({ invoker });
  try {
    const id = await engine.start('Approval', {});
    await waitForStatus(engine, id, ['Running']);
    await settle(200);
    assert.equal((await engine.getStatus(id))?.runtimeStatus, 'Running');
    await engine.raiseEvent(id, 'Approved', { by: 'alice' });
    const status = await waitForStatus(engine, id, ['Completed', 'Failed']);
    assert.equal(status.output, 'approved by alice');
    await assert.rejects(engine.raiseEvent('no-such-instance', 'Approved', {}), { code: 'INSTANCE_NOT_FOUND' });
  } finally {
    await engine.shutdown();
  }
});

scenario('a sub-orchestration runs as its own instance and returns its output to the parent', async (b) => {
  const invoker = new DirectInvoker()
    .activity('Double', (n: number) => n * 2)
    .orchestration('Child', function* (ctx) {
      const n: number = ctx.df.getInput();
      return (yield ctx.df.callActivity('Double', n)) as unknown;
    })
    .orchestration('Parent', function* (ctx) {
      const a = (yield ctx.df.callSubOrchestrator('Child', 5)) as number;
      const b = (yield ctx.df.callSubOrchestrator('Child', a, `${ctx.df.instanceId}-named-child`)) as number;
      return [a, b];
    });
  const engine = await b.engine({ invoker });
  try {
    const id = await engine.start('Parent', { instanceId: 'parent-1' });
    const status = await waitForStatus(engine, id, ['Completed', 'Failed']);
    assert.equal(status.runtimeStatus, 'Completed', JSON.stringify(status.output));
    assert.deepEqual(status.output, [10, 20]);
    const child = await engine.getStatus('parent-1-named-child');
    assert.equal(child?.runtimeStatus, 'Completed');
    assert.equal(child?.output, 20);
    // The unnamed child is `<parent executionId>:<task id>`, as DurableTask.Core names it.
    const unnamed = (await engine.query({})).instances.filter((x) => x.name === 'Child' && x.instanceId !== 'parent-1-named-child');
    assert.deepEqual(unnamed.map((x) => x.output), [10]);
    assert.match(unnamed[0]?.instanceId ?? '', /^[0-9a-f]{32}:0$/);
  } finally {
    await engine.shutdown();
  }
});

scenario('custom status set by the orchestrator is visible in getStatus', async (b) => {
  const invoker = new DirectInvoker().orchestration('Reporter', function* (ctx) {
    ctx.df.setCustomStatus({ stage: 'waiting' });
    yield ctx.df.waitForExternalEvent('Go');
    ctx.df.setCustomStatus({ stage: 'done' });
    return 'ok';
  });
  const engine = await b.engine({ invoker });
  try {
    const id = await engine.start('Reporter', {});
    const running = await waitFor(async () => {
      const s = await engine.getStatus(id);
      return s?.runtimeStatus === 'Running' && s.customStatus !== undefined ? s : undefined;
    }, 'custom status');
    assert.deepEqual(running.customStatus, { stage: 'waiting' });
    await engine.raiseEvent(id, 'Go', null);
    const done = await waitForStatus(engine, id, ['Completed']);
    assert.deepEqual(done.customStatus, { stage: 'done' });
  } finally {
    await engine.shutdown();
  }
});

scenario('a suspended instance makes no progress until resumed, then continues with buffered events', async (b) => {
  const invoker = new DirectInvoker()
    .activity('Echo', (s: string) => s)
    .orchestration('Steps', function* (ctx) {
      const first = (yield ctx.df.waitForExternalEvent('Next')) as string;
      const echoed = (yield ctx.df.callActivity('Echo', first)) as string;
      return echoed;
    });
  const engine = await b.engine({ invoker });
  try {
    const id = await engine.start('Steps', {});
    await waitForStatus(engine, id, ['Running']);
    await engine.suspend(id, 'maintenance');
    await waitForStatus(engine, id, ['Suspended']);
    await engine.raiseEvent(id, 'Next', 'payload');
    await settle(400);
    assert.equal((await engine.getStatus(id))?.runtimeStatus, 'Suspended');
    await engine.resume(id, 'done');
    const status = await waitForStatus(engine, id, ['Completed', 'Failed']);
    assert.equal(status.output, 'payload');
  } finally {
    await engine.shutdown();
  }
});

scenario('terminate ends a running instance; purge deletes only finished instances', async (b) => {
  const invoker = new DirectInvoker().orchestration('Forever', function* (ctx) {
    yield ctx.df.waitForExternalEvent('Never');
    return 'no';
  });
  const engine = await b.engine({ invoker });
  try {
    const id = await engine.start('Forever', { input: { a: 1 } });
    await waitForStatus(engine, id, ['Running']);
    assert.equal(await engine.purge(id), 0, 'a running instance is not purged');
    await engine.terminate(id, 'enough');
    const status = await waitForStatus(engine, id, ['Terminated']);
    assert.equal(status.output, 'enough');
    assert.deepEqual(status.input, { a: 1 });
    assert.equal(await engine.purge(id), 1);
    assert.equal(await engine.getStatus(id), undefined);
    assert.equal(await engine.purge(id), 0);
  } finally {
    await engine.shutdown();
  }
});

scenario('starting an id that is running fails with InstanceAlreadyExistsError; a finished one is replaced', async (b) => {
  const invoker = new DirectInvoker().orchestration('Waiter', function* (ctx) {
    const v = (yield ctx.df.waitForExternalEvent('Done')) as string;
    return v;
  });
  const engine = await b.engine({ invoker });
  try {
    await engine.start('Waiter', { instanceId: 'singleton' });
    await assert.rejects(engine.start('Waiter', { instanceId: 'singleton' }), { code: 'INSTANCE_EXISTS' });
    await waitForStatus(engine, 'singleton', ['Running']);
    await assert.rejects(engine.start('Waiter', { instanceId: 'singleton' }), { code: 'INSTANCE_EXISTS' });
    await engine.raiseEvent('singleton', 'Done', 'first');
    assert.equal((await waitForStatus(engine, 'singleton', ['Completed'])).output, 'first');
    await engine.start('Waiter', { instanceId: 'singleton', input: 2 });
    await waitForStatus(engine, 'singleton', ['Running']);
    await engine.raiseEvent('singleton', 'Done', 'second');
    assert.equal((await waitForStatus(engine, 'singleton', ['Completed'])).output, 'second');
  } finally {
    await engine.shutdown();
  }
});

scenario('an orchestrator that throws fails the instance with its message', async (b) => {
  const invoker = new DirectInvoker()
    .activity('Boom', () => {
      throw new Error('kaboom');
    })
    .orchestration('Fails', function* (ctx) {
      yield ctx.df.callActivity('Boom', null);
      return 'unreachable';
    });
  const engine = await b.engine({ invoker });
  try {
    const id = await engine.start('Fails', {});
    const status = await waitForStatus(engine, id, ['Completed', 'Failed']);
    assert.equal(status.runtimeStatus, 'Failed');
    assert.match(String(status.output), /kaboom/);
  } finally {
    await engine.shutdown();
  }
});

scenario('an episode whose worker is gone (WorkerUnavailableError) fails its step, not the instance: the step runs again and completes', async (b) => {
  const direct = new DirectInvoker()
    .activity('Echo', (input) => input)
    .orchestration('Flaky', function* (ctx) {
      const echoed: unknown = yield ctx.df.callActivity('Echo', 'done');
      return echoed;
    });
  let refusals = 0;
  const invoker: FunctionInvoker = {
    hasOrchestration: (name) => direct.hasOrchestration(name),
    hasActivity: (name) => direct.hasActivity(name),
    invokeActivity: (name, input, meta) => direct.invokeActivity(name, input, meta),
    invokeOrchestration: (name, payload) => {
      // The first two episodes find no worker; the rest run.
      if (refusals < 2) {
        refusals += 1;
        return Promise.reject(new WorkerUnavailableError('orchestrator thread lost: exited with code 1'));
      }
      return direct.invokeOrchestration(name, payload);
    },
  };
  const engine = await b.engine({ invoker });
  try {
    const id = await engine.start('Flaky', {});
    const status = await waitForStatus(engine, id, ['Completed', 'Failed']);
    assert.equal(status.runtimeStatus, 'Completed');
    assert.equal(status.output, 'done');
    assert.equal(refusals, 2);
  } finally {
    await engine.shutdown();
  }
});

scenario('query filters by status and name prefix and pages with a continuation token', async (b) => {
  const invoker = new DirectInvoker().orchestration('Quick', function* () {
    return 'done';
  });
  const engine = await b.engine({ invoker });
  try {
    for (let i = 0; i < 5; i++) await engine.start('Quick', { instanceId: `q-${i}` });
    await engine.start('Quick', { instanceId: 'other' });
    for (let i = 0; i < 5; i++) await waitForStatus(engine, `q-${i}`, ['Completed']);
    await waitForStatus(engine, 'other', ['Completed']);
    const all = await engine.query({ runtimeStatus: ['Completed'], instanceIdPrefix: 'q-' });
    assert.deepEqual(all.instances.map((s) => s.instanceId).sort(), ['q-0', 'q-1', 'q-2', 'q-3', 'q-4']);
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await engine.query({ instanceIdPrefix: 'q-', top: 2, ...(token ? { continuationToken: token } : {}) });
      assert.ok(page.instances.length <= 2);
      seen.push(...page.instances.map((s) => s.instanceId));
      token = page.continuationToken;
    } while (token);
    assert.deepEqual(seen.sort(), ['q-0', 'q-1', 'q-2', 'q-3', 'q-4']);
    assert.equal((await engine.query({ runtimeStatus: ['Running'] })).instances.length, 0);
    assert.equal(await engine.purgeMany({ runtimeStatus: ['Completed'] }), 6);
    assert.equal((await engine.query({})).instances.length, 0);
  } finally {
    await engine.shutdown();
  }
});

scenario('events raised around a continue-as-new are not lost', async (b) => {
  const invoker = new DirectInvoker().orchestration('Counter', function* (ctx) {
    const count: number = ctx.df.getInput();
    const add = (yield ctx.df.waitForExternalEvent('Add')) as number;
    const next = count + add;
    if (next >= 15) return next;
    ctx.df.continueAsNew(next);
    return undefined;
  });
  const engine = await b.engine({ invoker });
  try {
    const id = await engine.start('Counter', { input: 0 });
    await waitForStatus(engine, id, ['Running']);
    // A burst: several events land in the same step as the one the orchestrator consumes before continuing.
    for (const n of [1, 2, 3, 4, 5]) await engine.raiseEvent(id, 'Add', n);
    const status = await waitForStatus(engine, id, ['Completed', 'Failed']);
    assert.equal(status.output, 15);
  } finally {
    await engine.shutdown();
  }
});

scenario('a with-retry sub-orchestration is retried until it succeeds', async (b) => {
  let attempts = 0;
  const invoker = new DirectInvoker()
    .activity('MaybeFail', () => {
      attempts++;
      if (attempts < 3) throw new Error(`attempt ${attempts} failed`);
      return 'child ok';
    })
    .orchestration('FlakyChild', function* (ctx) {
      return (yield ctx.df.callActivity('MaybeFail', null)) as unknown;
    })
    .orchestration('RetryParent', function* (ctx) {
      return (yield ctx.df.callSubOrchestratorWithRetry('FlakyChild', new df.RetryOptions(30, 5), null)) as unknown;
    });
  const engine = await b.engine({ invoker });
  try {
    const id = await engine.start('RetryParent', {});
    const status = await waitForStatus(engine, id, ['Completed', 'Failed']);
    assert.equal(status.runtimeStatus, 'Completed', JSON.stringify(status.output));
    assert.equal(status.output, 'child ok');
    assert.equal(attempts, 3);
  } finally {
    await engine.shutdown();
  }
});

scenario('a retry timeout stops further attempts even when attempts remain', async (b) => {
  const clock = new VirtualClock(Date.UTC(2030, 0, 1));
  let calls = 0;
  const invoker = new DirectInvoker()
    .activity('Never', () => {
      calls++;
      throw new Error('still down');
    })
    .orchestration('Bounded', function* (ctx) {
      const options = new df.RetryOptions(60_000, 10);
      options.retryTimeoutInMilliseconds = 150_000;
      try {
        yield ctx.df.callActivityWithRetry('Never', options, null);
        return 'unexpected';
      } catch {
        return 'gave up';
      }
    });
  const engine = await b.engine({ invoker, clock });
  try {
    const id = await engine.start('Bounded', {});
    for (let i = 0; i < 40; i++) {
      const s = await engine.getStatus(id);
      if (s?.runtimeStatus === 'Completed' || s?.runtimeStatus === 'Failed') break;
      await settle(100);
      await clock.advanceBy(30_000);
    }
    const status = await waitForStatus(engine, id, ['Completed', 'Failed']);
    assert.equal(status.output, 'gave up');
    // Attempts at 0 s, 60 s and 120 s; the next one (180 s) would pass the 150 s timeout.
    assert.equal(calls, 3);
  } finally {
    await engine.shutdown();
  }
});

scenario('an instance suspended before its first episode runs once resumed', async (b) => {
  const invoker = new DirectInvoker()
    .activity('One', () => 1)
    .orchestration('Late', function* (ctx) {
      return (yield ctx.df.callActivity('One', null)) as unknown;
    });
  const clock = new VirtualClock(Date.UTC(2030, 0, 1));
  const engine = await b.engine({ invoker, clock });
  try {
    const startAt = clock.now() + 60_000;
    const id = await engine.start('Late', { startAt });
    await engine.suspend(id, 'hold');
    await settle(200);
    assert.equal((await engine.getStatus(id))?.runtimeStatus, 'Pending');
    await clock.advanceBy(61_000);
    await waitForStatus(engine, id, ['Suspended']);
    await engine.resume(id, 'go');
    assert.equal((await waitForStatus(engine, id, ['Completed', 'Failed'])).output, 1);
  } finally {
    await engine.shutdown();
  }
});

/** A client of the hub that never runs (no lease): what it sends waits in storage until an engine runs. */
function clientOf(b: EngineBackend, hub: string, clock: Clock): Promise<DurableEngineRuntime> {
  return b.engine({ hub, clock, invoker: new DirectInvoker(), workerId: 'client', run: false });
}

async function historyTypes(engine: DurableEngineRuntime, id: string): Promise<number[]> {
  const history = (await engine.getStatus(id, { showHistory: true }))?.history as { EventType: number }[] | undefined;
  return (history ?? []).map((e) => e.EventType);
}

scenario('external messages are processed in the order they were sent, even all at one virtual time', async (b) => {
  const clock = new VirtualClock(Date.UTC(2030, 0, 1));
  const count = 30;
  const invoker = new DirectInvoker()
    .orchestration('InOrder', function* (ctx) {
      const got: number[] = [];
      for (let i = 0; i < count; i++) got.push((yield ctx.df.waitForExternalEvent('Item')) as number);
      return got;
    })
    .orchestration('Pausable', function* (ctx) {
      return (yield ctx.df.waitForExternalEvent('Never')) as unknown;
    });
  const hub = uniqueHub('order');
  const pausable = Array.from({ length: 8 }, (_, i) => `pausable-${i}`);
  const first = await b.engine({ invoker, clock, hub, workerId: 'worker' });
  try {
    await first.start('InOrder', { instanceId: 'ordered' });
    for (const id of pausable) await first.start('Pausable', { instanceId: id });
    for (const id of ['ordered', ...pausable]) await waitForStatus(first, id, ['Running']);
  } finally {
    await first.shutdown();
  }
  // The burst lands while no engine runs, so one step sees all of it, every message with the same timestamp.
  const client = await clientOf(b, hub, clock);
  for (let i = 0; i < count; i++) await client.raiseEvent('ordered', 'Item', i);
  for (const id of pausable) {
    await client.suspend(id, 'pause');
    await client.resume(id, 'go on');
  }
  const second = await b.engine({ invoker, clock, hub, workerId: 'worker' });
  try {
    const done = await waitForStatus(second, 'ordered', ['Completed', 'Failed']);
    assert.deepEqual(done.output, Array.from({ length: count }, (_, i) => i));
    for (const id of pausable) {
      const types = await waitFor(async () => {
        const t = await historyTypes(second, id);
        return t.includes(EventType.ExecutionSuspended) ? t : undefined;
      }, `${id} to see its suspend`);
      assert.ok(types.indexOf(EventType.ExecutionSuspended) < types.indexOf(EventType.ExecutionResumed), `${id}: suspend, then resume`);
      assert.equal((await second.getStatus(id))?.runtimeStatus, 'Running', `${id}: pause then resume ends Running`);
    }
  } finally {
    await second.shutdown();
  }
});

scenario('a burst of messages (300 events with suspend/resume among them) is taken over several steps and never fails the orchestration', async (b) => {
  const invoker = new DirectInvoker().orchestration('Collector', function* (ctx) {
    const wanted: number = ctx.df.getInput();
    const got: number[] = [];
    while (got.length < wanted) {
      got.push((yield ctx.df.waitForExternalEvent('Item')) as number);
      ctx.df.setCustomStatus(got.length);
    }
    return got;
  });
  const hub = uniqueHub('burst');
  const clock = new SystemClock();
  const first = await b.engine({ invoker, clock, hub, workerId: 'worker' });
  try {
    await first.start('Collector', { instanceId: 'completes', input: 300 });
    await first.start('Collector', { instanceId: 'keeps-waiting', input: 301 });
    await waitForStatus(first, 'completes', ['Running']);
    await waitForStatus(first, 'keeps-waiting', ['Running']);
  } finally {
    await first.shutdown();
  }
  // 360 messages per instance, all visible to the first step of the next engine.
  const client = await clientOf(b, hub, clock);
  await Promise.all(
    ['completes', 'keeps-waiting'].map(async (id) => {
      for (let i = 0; i < 300; i++) {
        await client.raiseEvent(id, 'Item', i);
        if (i % 10 === 9) {
          await client.suspend(id, `pause ${i}`);
          await client.resume(id, `resume ${i}`);
        }
      }
    }),
  );
  const second = await b.engine({ invoker, clock, hub, workerId: 'worker' });
  try {
    const done = await waitForStatus(second, 'completes', ['Completed', 'Failed'], 60_000);
    assert.equal(done.runtimeStatus, 'Completed', JSON.stringify(done.output));
    assert.deepEqual(done.output, Array.from({ length: 300 }, (_, i) => i));
    const waiting = await waitFor(async () => {
      const s = await second.getStatus('keeps-waiting');
      return s?.customStatus === 300 || s?.runtimeStatus !== 'Running' ? s : undefined;
    }, 'keeps-waiting to take all 300 events', 60_000);
    assert.equal(waiting.runtimeStatus, 'Running');
    const waitingTypes = await waitFor(async () => {
      const t = await historyTypes(second, 'keeps-waiting');
      return t.filter((x) => x === EventType.ExecutionResumed).length === 30 ? t : undefined;
    }, 'keeps-waiting to take the last resume');
    assert.equal(waitingTypes.filter((t) => t === EventType.ExecutionSuspended).length, 30);
    assert.equal((await second.getStatus('keeps-waiting'))?.runtimeStatus, 'Running');
    // The completed one ended with its 300th event: the pause/resume sent after it were dropped (29 pairs seen).
    const types = await historyTypes(second, 'completes');
    assert.equal(types.filter((t) => t === EventType.ExecutionResumed).length, 29);
    assert.ok(types.filter((t) => t === EventType.OrchestratorStarted).length >= 330 / 50, 'taken over several steps');
  } finally {
    await second.shutdown();
  }
});

scenario('suspend and resume apply in their place among a burst; the orchestrator sees every event in send order', async (b) => {
  const count = 12;
  const invoker = new DirectInvoker().orchestration('InOrder', function* (ctx) {
    const got: number[] = [];
    for (let i = 0; i < count; i++) got.push((yield ctx.df.waitForExternalEvent('Item')) as number);
    return got;
  });
  const hub = uniqueHub('inplace');
  const first = await b.engine({ invoker, hub });
  await first.start('InOrder', { instanceId: 'ordered' });
  await waitForStatus(first, 'ordered', ['Running']);
  await first.shutdown();
  // The burst lands while no engine runs, so the next owner's first step sees all of it at once.
  const client = await clientOf(b, hub, new SystemClock());
  for (let i = 0; i < count; i++) {
    if (i === 4) await client.suspend('ordered', 'pause');
    if (i === 8) await client.resume('ordered', 'go on');
    await client.raiseEvent('ordered', 'Item', i);
  }
  const second = await b.engine({ invoker, hub });
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

scenario('a raised event that arrives while an activity runs survives the continue-as-new that follows', async (b) => {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let started = false;
  const invoker = new DirectInvoker()
    .activity('Slow', async () => {
      started = true;
      await gate;
      return 'done';
    })
    .orchestration('WorkThenListen', function* (ctx) {
      const phase: string = ctx.df.getInput();
      if (phase === 'work') {
        yield ctx.df.callActivity('Slow', null);
        ctx.df.continueAsNew('listen');
        return undefined;
      }
      const ping = (yield ctx.df.waitForExternalEvent('Ping')) as string;
      return `heard ${ping}`;
    });
  const engine = await b.engine({ invoker });
  try {
    const id = await engine.start('WorkThenListen', { input: 'work' });
    await waitFor(async () => (started ? true : undefined), 'the activity to run');
    await engine.raiseEvent(id, 'Ping', 'early');
    // Let a step take the event into the running execution's history before the activity ends.
    await waitFor(async () => {
      const history = (await engine.getStatus(id, { showHistory: true }))?.history as { EventType: number }[] | undefined;
      return history?.some((e) => e.EventType === 15) ? true : undefined;
    }, 'the event in history');
    release();
    const status = await waitForStatus(engine, id, ['Completed', 'Failed'], 10_000);
    assert.equal(status.output, 'heard early');
  } finally {
    release();
    await engine.shutdown();
  }
});

/** The instance's stored history (what getStatus reads), as event types and task ids. */
async function storedTasks(engine: DurableEngineRuntime, id: string): Promise<{ scheduled: number[]; completed: number[] }> {
  const history = ((await engine.getStatus(id, { showHistory: true }))?.history ?? []) as { EventType: number; EventId: number; TaskScheduledId?: number }[];
  return {
    scheduled: history.filter((e) => e.EventType === EventType.TaskScheduled).map((e) => e.EventId),
    completed: history.filter((e) => e.EventType === EventType.TaskCompleted).map((e) => Number(e.TaskScheduledId)),
  };
}

scenario('a step that takes a result and starts nothing is held while its next step is due soon: committed with that step before its activities run, or alone after HOLD_MS', async (b) => {
  const clock = new VirtualClock(Date.UTC(2030, 0, 1));
  const seenBySecond: Array<{ scheduled: number[]; completed: number[] }> = [];
  const ref: { engine?: DurableEngineRuntime } = {};
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const invoker = new DirectInvoker()
    .activity('First', () => 'first')
    .activity('Second', async (id: string) => (seenBySecond.push(await storedTasks(ref.engine!, id)), 'second'))
    .activity('Slow', async () => (await gate, 'slow'))
    .orchestration('HeldSteps', function* (ctx) {
      const first = (yield ctx.df.callActivity('First', null)) as string;
      yield ctx.df.createTimer(new Date(ctx.df.currentUtcDateTime.getTime() + HOLD_MS / 2));
      const both = (yield ctx.df.Task.all([ctx.df.callActivity('Second', ctx.df.instanceId), ctx.df.callActivity('Slow', null)])) as string[];
      return [first, ...both];
    });
  const engine = (ref.engine = await b.engine({ invoker, clock }));
  try {
    const id = await engine.start('HeldSteps', {});
    await waitFor(async () => ((await storedTasks(engine, id)).scheduled.length === 1 ? true : undefined), 'the first episode');
    await settle(300);
    // First's result and the timer it set are one held step (the timer is due within HOLD_MS): not stored yet.
    assert.deepEqual(await storedTasks(engine, id), { scheduled: [0], completed: [] });
    await clock.advanceBy(HOLD_MS / 2, () => settle(100));
    await waitFor(async () => (seenBySecond.length > 0 ? true : undefined), 'the second activity');
    // The held step and the timer's step (Second and Slow scheduled) were committed as one before Second ran.
    assert.deepEqual(seenBySecond, [{ scheduled: [0, 2, 3], completed: [0] }]);
    await settle(300);
    // Second's result is held while Slow runs (an open activity: the next step may come any moment) ...
    assert.deepEqual(await storedTasks(engine, id), { scheduled: [0, 2, 3], completed: [0] }, "Second's result is held");
    // ... and goes alone once HOLD_MS passed without it.
    await clock.advanceBy(HOLD_MS, () => settle(100));
    await waitFor(async () => ((await storedTasks(engine, id)).completed.length === 2 ? true : undefined), 'the held step alone');
    release();
    const status = await waitForStatus(engine, id, ['Completed', 'Failed']);
    assert.deepEqual(status.output, ['first', 'second', 'slow']);
  } finally {
    release();
    await engine.shutdown();
  }
});

scenario('a step whose next step is not due soon is committed at once (a slow schedule commits each step)', async (b) => {
  const clock = new VirtualClock(Date.UTC(2030, 0, 1));
  const invoker = new DirectInvoker()
    .activity('Deliver', () => 'ok')
    .orchestration('Slow', function* (ctx) {
      yield ctx.df.callActivity('Deliver', null);
      yield ctx.df.createTimer(new Date(ctx.df.currentUtcDateTime.getTime() + 60_000));
      return 'done';
    });
  const engine = await b.engine({ invoker, clock });
  try {
    const id = await engine.start('Slow', {});
    await waitFor(async () => ((await storedTasks(engine, id)).completed.length === 1 ? true : undefined), 'the result stored at once');
  } finally {
    await engine.shutdown();
  }
});

scenario('a clean shutdown commits the held step: the next owner runs no finished activity again', async (b) => {
  const clock = new VirtualClock(Date.UTC(2030, 0, 1));
  const hub = uniqueHub();
  const runs: string[] = [];
  const invoker = new DirectInvoker()
    .activity('Once', () => (runs.push('once'), 'done'))
    .orchestration('ThenWait', function* (ctx) {
      const out = (yield ctx.df.callActivity('Once', null)) as string;
      yield ctx.df.createTimer(new Date(ctx.df.currentUtcDateTime.getTime() + HOLD_MS / 2));
      return out;
    });
  const first = await b.engine({ invoker, hub, clock });
  const id = await first.start('ThenWait', {});
  await waitFor(async () => (runs.length === 1 ? true : undefined), 'the activity');
  await settle(200);
  assert.deepEqual(await storedTasks(first, id), { scheduled: [0], completed: [] }, 'held');
  await first.shutdown();
  assert.deepEqual(await storedTasks(first, id), { scheduled: [0], completed: [0] }, 'the held result is stored');
  const second = await b.engine({ invoker, hub, clock });
  try {
    await clock.advanceBy(HOLD_MS, () => settle(100));
    const status = await waitForStatus(second, id, ['Completed', 'Failed']);
    assert.equal(status.output, 'done');
    assert.deepEqual(runs, ['once'], 'not run again');
  } finally {
    await second.shutdown();
  }
});

scenario('a Pending instance that has not started (delayed start) can be terminated, then purged', async (b) => {
  const invoker = new DirectInvoker().orchestration('Later', function* () {
    return 'ran';
  });
  const engine = await b.engine({ invoker });
  try {
    const id = await engine.start('Later', { instanceId: 'pending-forever', startAt: Date.now() + 3_600_000 });
    assert.equal((await engine.getStatus(id))?.runtimeStatus, 'Pending');
    assert.equal(await engine.purge(id), 0, 'a live instance is not purged');
    await engine.terminate(id, 'not wanted');
    const status = await waitForStatus(engine, id, ['Terminated'], 10_000);
    assert.equal(status.output, 'not wanted');
    assert.equal(await engine.purge(id), 1);
    assert.equal(await engine.getStatus(id), undefined);
  } finally {
    await engine.shutdown();
  }
});

/** Blocks the whole process for `ms` of real time (a GC pause, a starved CPU): no callback runs meanwhile. */
function freezeProcess(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

scenario('a timer that falls due while a frozen process is past its lease is not forgotten when the lease is renewed', async (b) => {
  const clock = new VirtualClock(Date.UTC(2030, 0, 1));
  const invoker = new DirectInvoker()
    .activity('Stamp', () => 'stamped')
    .orchestration('Sleeper', function* (ctx) {
      yield ctx.df.createTimer(new Date(ctx.df.currentUtcDateTime.getTime() + 60_000));
      return (yield ctx.df.callActivity('Stamp', null)) as string;
    });
  // Real-time lease of 600 ms (the owner stops 100 ms before), renewed every 100 ms.
  const engine = await b.engine({ invoker, clock, tuning: { leaseDurationMs: 600, leaseRenewEveryMs: 100 } });
  try {
    const id = await engine.start('Sleeper', {});
    await waitFor(async () => ((await historyTypes(engine, id)).includes(EventType.TimerCreated) ? true : undefined), 'the timer to be created');
    // Frozen past the lease; the first thing to run after it is the timer's time coming (before the lease's own
    // callbacks: the renewal, which succeeds as nobody took the lease, and the expiry it then cancels).
    freezeProcess(700);
    void clock.advanceBy(60_000);
    // Today's defect: the timer's step was refused (not owner) and nothing recovered it: the renewal never told
    // the engine it had lost the lease meanwhile.
    const status = await waitForStatus(engine, id, ['Completed', 'Failed'], 5_000);
    assert.equal(status.output, 'stamped');
  } finally {
    await engine.shutdown();
  }
});
