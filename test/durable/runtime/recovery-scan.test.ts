/**
 * Taking the lease: how many instances a new owner preloads (what fits in half the heap V8 may use), and how the
 * recovery arms their wake times as the scan goes, falls back to the wake times' own query past the preload limit or
 * when the scan fails, and stops when the lease it began under is gone. On the memory store, with a virtual clock.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { preloadLimit, recoverPendingWork, type ScanContext } from '../../../src/durable/runtime/recovery-scan.js';
import { InstanceCache } from '../../../src/durable/runtime/instance-cache.js';
import { TimerQueue } from '../../../src/durable/runtime/timer-queue.js';
import { MemoryStore } from '../../../src/durable/store/memory/memory-store.js';
import type { WakeTime } from '../../../src/durable/store/hub-store.js';
import { VirtualClock } from '../../../src/durable/clock/virtual-clock.js';
import { newExecution } from '../../../src/durable/instance-start.js';

const MB = 2 ** 20;

test('a heap without a container limit (4 GB) preloads a hub of 100,000 instances', () => {
  assert.ok(preloadLimit(4_144 * MB) >= 100_000, String(preloadLimit(4_144 * MB)));
});

test('the heap Node gives a 512 Mi pod (~300 MB) preloads 10,000 instances but not 100,000', () => {
  const limit = preloadLimit(304 * MB);
  assert.ok(limit >= 10_000 && limit < 100_000, String(limit));
});

test('without an argument the limit follows this process heap', () => {
  assert.ok(preloadLimit() > 0);
});

/** A memory store whose reads the test paces (the scan reads instance by instance) and whose wake-time queries it counts. */
class PacedStore extends MemoryStore {
  wakeTimeQueries = 0;
  private reads = 0;
  /** Awaited before the n-th read (0-based) of an instance. */
  beforeRead: (n: number) => Promise<void> = async () => undefined;

  override async loadInstance(instanceId: string): ReturnType<MemoryStore['loadInstance']> {
    await this.beforeRead(this.reads++);
    return super.loadInstance(instanceId);
  }

  override async wakeTimes(): Promise<WakeTime[]> {
    this.wakeTimeQueries++;
    return super.wakeTimes();
  }
}

const clock = new VirtualClock();

/** `count` schedules started and waiting for their first tick, one second apart from a minute on. */
async function hub(count: number): Promise<PacedStore> {
  const store = new PacedStore();
  for (let i = 0; i < count; i++) {
    const { record, start } = newExecution(clock, `s${i}`, 'Orch', undefined, clock.now() + 60_000 + i * 1_000, undefined);
    await store.startInstance(record, start);
  }
  return store;
}

function recovery(store: PacedStore, owning: () => boolean = () => true): ScanContext & { cache: InstanceCache; timers: TimerQueue } {
  return {
    store,
    log: pino({ level: 'silent' }),
    clock,
    timers: new TimerQueue(clock, () => undefined),
    cache: new InstanceCache(),
    requestStep: () => undefined,
    knowsRow: () => false,
    onSignals: () => undefined,
    owning,
  };
}

test('each instance is preloaded and its wake time armed as the scan reaches it, before the scan ends', async () => {
  const store = await hub(3);
  const ctx = recovery(store);
  let resume = (): void => undefined;
  const paused = new Promise<void>((resolve) => (resume = resolve));
  let reached = (): void => undefined;
  const atSecond = new Promise<void>((resolve) => (reached = resolve));
  store.beforeRead = async (n) => {
    if (n !== 1) return;
    reached();
    await paused;
  };
  const done = recoverPendingWork(ctx, 10);
  await atSecond;
  assert.deepEqual([ctx.timers.size, ctx.cache.size], [1, 1], 'the first instance waits on its timer while the scan reads the second');
  resume();
  await done;
  assert.deepEqual([ctx.timers.size, ctx.cache.size, store.wakeTimeQueries], [3, 3, 0], 'all of them, from the scan alone');
});

test('past the preload limit the scan stops and the wake times query arms the rest', async () => {
  const store = await hub(5);
  const ctx = recovery(store);
  await recoverPendingWork(ctx, 2);
  assert.deepEqual([ctx.cache.size, ctx.timers.size, store.wakeTimeQueries], [2, 5, 1]);
});

test('a scan that fails leaves the wake times to their own query', async () => {
  const store = await hub(4);
  store.beforeRead = async (n) => {
    if (n === 2) throw new Error('the table went away');
  };
  const ctx = recovery(store);
  await recoverPendingWork(ctx, 10);
  assert.deepEqual([ctx.cache.size, ctx.timers.size, store.wakeTimeQueries], [2, 4, 1]);
});

test('a recovery whose lease is gone stops: nothing more armed, no wake times read', async () => {
  const store = await hub(4);
  let owner = true;
  store.beforeRead = async (n) => {
    if (n === 2) owner = false;
  };
  const ctx = recovery(store, () => owner);
  await recoverPendingWork(ctx, 10);
  assert.deepEqual([ctx.cache.size, ctx.timers.size, store.wakeTimeQueries], [2, 2, 0]);
});
