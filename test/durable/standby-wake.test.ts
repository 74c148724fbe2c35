/**
 * A write through the standby whose wake mark the storage refused (the client's retry budget spent) still reaches
 * the owner within about a second, not at the owner's next safety scan (30 s in production): the mark is written
 * again in the background. Two engines on one memory store; the standby's client store refuses its first mark.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStore } from '../../src/durable/store/memory/memory-store.js';
import { StorageUnavailableError } from '../../src/durable/errors.js';
import type { HubStore, StoreControl } from '../../src/durable/store/hub-store.js';
import { DirectInvoker } from '../support/direct-invoker.js';
import { settle, startEngine, uniqueHub, waitForStatus } from './harness.js';

/** `store` as a client (bounded retries) sees it while the storage refuses its first `markWake`. */
function refusingFirstMark(store: MemoryStore): { open: (control: StoreControl) => HubStore; clientMarks: () => number } {
  let marks = 0;
  const client = new Proxy(store, {
    get(target, property) {
      if (property === 'markWake') {
        return (instanceId: string) => {
          if (marks++ === 0) return Promise.reject(new StorageUnavailableError(`storage unavailable during markWake of ${instanceId} (test)`));
          return target.markWake(instanceId);
        };
      }
      const value: unknown = Reflect.get(target, property);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { open: (control) => (control.budgetMs === undefined ? store : client), clientMarks: () => marks };
}

test('a wake mark the storage refused is written again: the standby write reaches the owner within a second', async () => {
  const store = new MemoryStore();
  const hub = uniqueHub('wakeretry');
  const invoker = new DirectInvoker().orchestration('Listener', function* (ctx) {
    return `heard ${(yield ctx.df.waitForExternalEvent('Ping')) as string}`;
  });
  // The owner sees the standby's presence at a safety scan (every 3 s here); from then on it polls the marks.
  const tuning = { safetyScanIntervalMs: 3_000, wakePollIntervalMs: 100 };
  const owner = await startEngine({ connectionString: 'memory', openStore: () => store, invoker, hub, workerId: 'owner', tuning });
  const standbyStore = refusingFirstMark(store);
  const standby = await startEngine({ connectionString: 'memory', openStore: standbyStore.open, invoker, hub, workerId: 'standby', tuning });
  try {
    const id = await owner.start('Listener', { instanceId: 'listener' });
    await waitForStatus(owner, id, ['Running']);
    await settle(3_400); // one scan of the owner after the standby's first presence row
    const started = Date.now();
    await standby.raiseEvent(id, 'Ping', 'the standby');
    assert.equal(standbyStore.clientMarks(), 1, 'one mark asked of the client store, refused');
    assert.equal((await waitForStatus(owner, id, ['Completed'], 5_000)).output, 'heard the standby');
    // Without the second mark the owner finds the event at its next scan, about 2.6 s later.
    assert.ok(Date.now() - started < 1_500, `the event took ${Date.now() - started} ms to reach the owner`);
  } finally {
    await standby.shutdown();
    await owner.shutdown();
  }
});
