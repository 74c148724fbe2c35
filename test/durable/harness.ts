/** Shared set-up of the engine tests: a real Azurite, an engine per test hub, polling helpers. */
import pino, { type Logger } from 'pino';
import type { Clock } from '../../src/durable/clock/clock.js';
import { createDurableEngine, type EngineTuning } from '../../src/durable/engine.js';
import type { DurableEngineRuntime, FunctionInvoker, InstanceStatus } from '../../src/durable/engine-api.js';
import type { RuntimeStatus } from '../../src/durable/wire-types.js';
import { SystemClock } from '../../src/durable/clock/system-clock.js';
import type { StoreFactory } from '../../src/durable/store/hub-store.js';
import { DirectInvoker } from '../support/direct-invoker.js';

let hubCounter = 0;

export function uniqueHub(prefix = 'hub'): string {
  hubCounter++;
  return `${prefix}${process.pid}x${hubCounter}${Math.floor(Math.random() * 1e6)}`;
}

export function testLogger(): Logger {
  return pino({ level: process.env.DURABLE_TEST_LOG ?? 'silent' });
}

export interface EngineSetup {
  connectionString: string;
  invoker: FunctionInvoker;
  clock?: Clock;
  hub?: string;
  workerId?: string;
  tuning?: EngineTuning;
  overridableExistingInstanceStates?: 'NonRunningStates' | 'AnyState';
  /** The hub's store; default Azure Tables at `connectionString`. */
  openStore?: StoreFactory;
  /** false: a client of the hub that never takes the lease (what it sends waits in storage). Default true. */
  run?: boolean;
}

export async function startEngine(setup: EngineSetup): Promise<DurableEngineRuntime> {
  const engine = createDurableEngine(
    {
      connectionString: setup.connectionString,
      taskHubName: setup.hub ?? uniqueHub(),
      invoker: setup.invoker,
      clock: setup.clock ?? new SystemClock(),
      logger: testLogger(),
      workerId: setup.workerId ?? 'test-worker',
      ...(setup.overridableExistingInstanceStates ? { overridableExistingInstanceStates: setup.overridableExistingInstanceStates } : {}),
    },
    setup.tuning,
    setup.openStore,
  );
  if (setup.run ?? true) await engine.run();
  return engine;
}

export async function waitFor<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function waitForStatus(
  engine: DurableEngineRuntime,
  instanceId: string,
  statuses: RuntimeStatus[],
  timeoutMs = 20_000,
): Promise<InstanceStatus> {
  let last: InstanceStatus | undefined;
  try {
    return await waitFor(async () => {
      last = await engine.getStatus(instanceId);
      return last && statuses.includes(last.runtimeStatus) ? last : undefined;
    }, `${instanceId} to be ${statuses.join('/')}`, timeoutMs);
  } catch (err) {
    throw new Error(`${(err as Error).message}; last status: ${JSON.stringify(last)}`, { cause: err });
  }
}

/** Lets the engine work for a while in real time (to show that something does NOT happen). */
export function settle(ms = 300): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * The shape of the event source's schedule orchestrator without the event source: `Ticker` waits `periodMs`, calls
 * `Deliver` with its tick number, and continues as new with the next one. `onTick` sees each delivery.
 */
export function tickingApp(periodMs: number, onTick: (n: number, meta: { instanceId: string }) => void): DirectInvoker {
  return new DirectInvoker()
    .activity('Deliver', (n: number, meta) => {
      onTick(n, meta);
      return n;
    })
    .orchestration('Ticker', function* (ctx) {
      const n: number = ctx.df.getInput();
      yield ctx.df.createTimer(new Date(ctx.df.currentUtcDateTime.getTime() + periodMs));
      yield ctx.df.callActivity('Deliver', n);
      ctx.df.continueAsNew(n + 1);
      return undefined;
    });
}
