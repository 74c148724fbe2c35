import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { startHost } from '../../src/host/host.js';
import { readHostJson } from '../../src/host/host-json.js';
import { VirtualClock } from '../../src/durable/clock/virtual-clock.js';
import { captureLogger, fixtureDir, tempFixtureApp } from './capture-logger.js';
import { memoryEngineFactory, type MemoryRuntime } from './memory-runtime.js';

const CONNECTION = 'AccountName=unused;AccountKey=dW51c2Vk;TableEndpoint=http://127.0.0.1:9/unused;';

function tempApp(hostJson: unknown): string {
  return tempFixtureApp('sample-app/functions/http.js', hostJson);
}

test('startHost runs the engine before serving, hands it the invoker and host.json settings, and stops it', async () => {
  const engines: MemoryRuntime[] = [];
  const host = await startHost({
    appDir: fixtureDir('sample-app'),
    port: 0,
    connectionString: CONNECTION,
    clock: new VirtualClock(),
    logger: captureLogger('warn').logger,
    workerId: 'worker-7',
    engineFactory: memoryEngineFactory(engines),
  });
  const engine = engines[0];
  assert.ok(engine);
  try {
    assert.equal(engine.runs, 1);
    assert.equal(host.engine, engine);
    assert.equal(engine.options.taskHubName, 'SampleHub');
    assert.equal(host.taskHubName, 'SampleHub');
    assert.equal(engine.options.workerId, 'worker-7');
    assert.equal(engine.options.connectionString, CONNECTION);
    assert.equal(engine.options.invoker.hasOrchestration('helloSequence'), true);
    assert.equal(engine.options.invoker.hasActivity('sayHello'), true);
    assert.match(host.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(host.functions.some((f) => f.name === 'tick' && f.trigger === 'timerTrigger'));
    assert.equal((await fetch(`${host.url}/api/hello/x`)).status, 200);
  } finally {
    const first = host.stop();
    assert.equal(host.stop(), first, 'stop is idempotent');
    await first;
  }
  assert.equal(engine.shutdowns, 1);
  await assert.rejects(fetch(`${host.url}/api/hello/x`), 'the server is closed');
});

test('an explicit task hub name wins over host.json; host.json routePrefix and hub settings apply', async () => {
  const engines: MemoryRuntime[] = [];
  const appDir = tempApp({
    version: '2.0',
    extensions: {
      http: { routePrefix: '' },
      durableTask: { hubName: 'FromHostJson', overridableExistingInstanceStates: 'AnyState', maxConcurrentOrchestratorFunctions: 20, maxConcurrentActivityFunctions: 40, storageProvider: { partitionCount: 2 } },
    },
  });
  const host = await startHost({
    appDir,
    port: 0,
    connectionString: CONNECTION,
    taskHubName: 'Explicit1',
    clock: new VirtualClock(),
    logger: captureLogger('warn').logger,
    engineFactory: memoryEngineFactory(engines),
  });
  try {
    assert.equal(engines[0]?.options.taskHubName, 'Explicit1');
    assert.equal(engines[0]?.options.overridableExistingInstanceStates, 'AnyState');
    assert.deepEqual(engines[0]?.tuning, { maxConcurrentSteps: 20, maxConcurrentActivities: 40, partitionCount: 2 });
    assert.equal((await (await fetch(`${host.url}/hello/root`)).json() as { greeting: string }).greeting, 'Hello, root');
  } finally {
    await host.stop();
  }
});

test('host.json: %SETTING% in hubName, defaults, and errors that name the field', () => {
  const defaults = readHostJson(tempApp({ version: '2.0' }));
  assert.deepEqual(
    { hubName: defaults.hubName(), overridableExistingInstanceStates: defaults.overridableExistingInstanceStates, routePrefix: defaults.routePrefix },
    { hubName: undefined, overridableExistingInstanceStates: undefined, routePrefix: 'api' },
  );
  assert.deepEqual(defaults.concurrency, {}, 'no concurrency setting: the engine keeps its defaults');
  const dir = tempApp({ extensions: { durableTask: { hubName: '%MY_HUB%' }, http: { routePrefix: '/v1/' } } });
  const settings = readHostJson(dir, { MY_HUB: 'HubFromEnv' });
  assert.equal(settings.hubName(), 'HubFromEnv');
  assert.equal(settings.routePrefix, 'v1');
  assert.throws(() => readHostJson(dir, {}).hubName(), /hubName refers to app setting "MY_HUB", which is not set/);
  assert.throws(() => readHostJson(dir, { MY_HUB: 'bad-hub!' }).hubName(), { code: 'BAD_TASK_HUB' });
  assert.throws(
    () => readHostJson(tempApp({ extensions: { durableTask: { overridableExistingInstanceStates: 'Sometimes' } } })),
    /overridableExistingInstanceStates must be NonRunningStates or AnyState/,
  );
});

test('host.json: maxConcurrentOrchestratorFunctions and maxConcurrentActivityFunctions take whole numbers 1 to 10,000, else name the field', () => {
  const concurrency = (value: unknown, key: string): unknown => readHostJson(tempApp({ extensions: { durableTask: { [key]: value } } })).concurrency;
  const keys = fc.constantFrom(['maxConcurrentOrchestratorFunctions', 'maxConcurrentSteps'] as const, ['maxConcurrentActivityFunctions', 'maxConcurrentActivities'] as const);
  fc.assert(
    fc.property(keys, fc.integer({ min: 1, max: 10_000 }), ([key, field], n) => {
      assert.deepEqual(concurrency(n, key), { [field]: n });
    }),
    { numRuns: 30 },
  );
  const bad = fc.oneof(fc.integer({ max: 0 }), fc.integer({ min: 10_001 }), fc.double({ noInteger: true, noNaN: true, noDefaultInfinity: true }), fc.string(), fc.boolean(), fc.array(fc.nat(), { maxLength: 2 }));
  fc.assert(
    fc.property(keys, bad, ([key], value) => {
      assert.throws(() => concurrency(value, key), (error: Error) => error.message.includes(`extensions.durableTask.${key} must be a whole number from 1 to 10000`));
    }),
    { numRuns: 30 },
  );
});

test('host.json: storageProvider.partitionCount takes whole numbers 1 to 16, else names the field', () => {
  const count = (value: unknown): unknown => readHostJson(tempApp({ extensions: { durableTask: { storageProvider: { partitionCount: value } } } })).partitionCount;
  assert.equal(readHostJson(tempApp({})).partitionCount, undefined, 'absent: the engine default');
  fc.assert(fc.property(fc.integer({ min: 1, max: 16 }), (n) => assert.equal(count(n), n)), { numRuns: 16 });
  const bad = fc.oneof(fc.integer({ max: 0 }), fc.integer({ min: 17 }), fc.double({ noInteger: true, noNaN: true, noDefaultInfinity: true }), fc.string(), fc.boolean());
  fc.assert(
    fc.property(bad, (value) => {
      assert.throws(() => count(value), (error: Error) => error.message.includes('extensions.durableTask.storageProvider.partitionCount must be a whole number from 1 to 16'));
    }),
    { numRuns: 30 },
  );
});

test('a failure while starting releases what was started', async () => {
  const engines: MemoryRuntime[] = [];
  const blocker = await startHost({
    appDir: fixtureDir('sample-app'),
    port: 0,
    connectionString: CONNECTION,
    clock: new VirtualClock(),
    logger: captureLogger('warn').logger,
    engineFactory: memoryEngineFactory(),
  });
  try {
    const port = Number(new URL(blocker.url).port);
    await assert.rejects(
      startHost({
        appDir: fixtureDir('sample-app'),
        port,
        connectionString: CONNECTION,
        clock: new VirtualClock(),
        logger: captureLogger('warn').logger,
        engineFactory: memoryEngineFactory(engines),
      }),
      { code: 'EADDRINUSE' },
    );
    assert.equal(engines[0]?.runs, 1);
    assert.equal(engines[0]?.shutdowns, 1, 'the engine started for the failed host was shut down');
  } finally {
    await blocker.stop();
  }
});
