/**
 * Schedule-like instances (a timer loop with one activity and a continue-as-new per tick) on a virtual clock: every
 * tick fires at its due time, idle schedules cost no storage calls, and a new owner finds every due timer with
 * projected queries and one scan (no read per instance). It runs the figure, 10,000 schedules (about 2
 * minutes on this 2-core machine: every instance costs at least 4 transactions, and Azurite slows down as its table
 * grows); `SCALE_INSTANCES=2000` runs a smaller one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectionStringFor } from '../../src/host/storage/azurite.js';
import { VirtualClock } from '../../src/durable/clock/virtual-clock.js';
import type { DurableEngineRuntime } from '../../src/durable/engine-api.js';
import type { DirectInvoker } from '../support/direct-invoker.js';
import { useProxiedAzurite } from '../support/azurite.js';
import { settle, startEngine, tickingApp, uniqueHub } from './harness.js';

const COUNT = Number(process.env.SCALE_INSTANCES ?? 10_000);
const PERIOD = 60_000;

const { proxy } = useProxiedAzurite();

/** Fire times seen by the delivery activity, per instance, in virtual time. */
function scheduleApp(clock: VirtualClock, seen: Map<string, number[]>): DirectInvoker {
  return tickingApp(PERIOD, (_n, meta) => {
    const list = seen.get(meta.instanceId) ?? [];
    list.push(clock.now());
    seen.set(meta.instanceId, list);
  });
}

async function inBatches(count: number, width: number, run: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) await run(next++);
    }),
  );
}

async function advance(clock: VirtualClock, engine: DurableEngineRuntime, to: number): Promise<void> {
  const idle = async (): Promise<void> => {
    for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
    await engine.idle?.();
  };
  await idle();
  await clock.advanceTo(to, idle);
}

test(`${COUNT} schedules on a virtual clock: every tick on time, idle costs nothing, a new owner reads no instance to find its timers`, { timeout: 600_000 }, async () => {
  const start = Date.UTC(2030, 0, 1);
  const clock = new VirtualClock(start);
  const seen = new Map<string, number[]>();
  const hub = uniqueHub('scale');
  const tuning = { safetyScanIntervalMs: 0, wakePollIntervalMs: 0, leaseDurationMs: 3_600_000, leaseRenewEveryMs: 1_800_000, maxConcurrentSteps: 32, maxConcurrentActivities: 64 };
  const setup = { connectionString: connectionStringFor(proxy.port), invoker: scheduleApp(clock, seen), clock, hub, tuning };
  const first = await startEngine(setup);
  const began = Date.now();
  try {
    await inBatches(COUNT, 32, (i) => first.start('Ticker', { instanceId: `s${i}`, input: 1 }));
    await first.idle?.();
    console.log(`# ${COUNT} started in ${Date.now() - began} ms`);
    proxy.reset();
    await settle(1_000);
    assert.equal(proxy.total(), 0, `idle schedules cost no storage calls: ${JSON.stringify(proxy.counts())}`);
  } finally {
    await first.shutdown();
  }

  // A new owner: the wake times come from projected queries over instance rows, and the instances themselves from one
  // scan of the hub in pages of 1,000 rows (about 3 rows each here), not from reading each instance.
  proxy.reset();
  const second = await startEngine(setup);
  try {
    await second.idle?.();
    const recovery = proxy.counts();
    console.log(`# recovery of ${COUNT}: ${JSON.stringify(recovery)}`);
    assert.ok(recovery.query <= Math.ceil((5 * COUNT) / 1000) + 4, `pages of queries and one scan only: ${JSON.stringify(recovery)}`);
    assert.ok(recovery.transaction <= 1, `the lease's write only, nothing stepped before it is due: ${JSON.stringify(recovery)}`);
    proxy.reset();
    const tickAt = performance.now();
    await advance(clock, second, start + PERIOD);
    const counts = proxy.counts();
    console.log(`# tick 1 of ${COUNT} in ${Math.round(performance.now() - tickAt)} ms, calls ${JSON.stringify(counts)}`);
    assert.equal(seen.size, COUNT, 'every schedule ticked');
    // The scan preloaded every instance: even the first tick after a takeover reads nothing.
    assert.equal(counts.query + counts.get, 0, `no reads: ${JSON.stringify(counts)}`);
    // A transaction that failed (Azurite under load answers 5xx, or slowly) is sent again by the retry policy.
    const failures = proxy.failures();
    assert.ok(counts.transaction <= 2 * COUNT + failures.transaction, `two commits per tick, and one more per failed one: ${JSON.stringify({ counts, failures })}`);
    for (const [id, times] of seen) assert.deepEqual(times, [start + PERIOD], `${id} on time after the new owner took over`);
  } finally {
    await second.shutdown();
  }
});
