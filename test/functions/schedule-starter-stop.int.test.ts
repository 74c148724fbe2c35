/**
 * A host stopped while its schedule starter retries at start-up (the storage refuses the app's client calls) stops
 * within seconds and shuts its engine down, releasing the hub lease for the next host. It waited for the starter's
 * retries (1 + 2 + 4 + 8 s of back-off), gave up after 10 s, and left the engine running with the lease held.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { createDurableEngine } from '../../src/durable/engine.js';
import { StorageUnavailableError } from '../../src/durable/errors.js';
import type { HubStore } from '../../src/durable/store/hub-store.js';
import { MemoryStore } from '../../src/durable/store/memory/memory-store.js';
import { createTestEnvironment } from '../../src/host/testing/test-environment.js';
import { until } from '../support/host-process.js';
import { withFileHost } from '../support/file-host.js';
import { RecordingSink } from '../support/recording-sink.js';

const root = path.resolve(__dirname, '..', '..', '..');

/** The store as the app's client calls see it: every call refused (the engine's own calls go through). */
function refusing(store: MemoryStore): HubStore {
  return new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return () => Promise.reject(new StorageUnavailableError(`storage unavailable during ${String(property)} (test)`));
    },
  });
}

test('regression: a host stopped while the starter retries at start-up stops within seconds and releases the hub lease', { timeout: 60_000 }, async () => {
  const sink = new RecordingSink();
  await sink.start();
  const store = new MemoryStore();
  const env = await createTestEnvironment({
    appDir: root,
    withoutAzurite: true,
    taskHubName: 'StarterStop',
    env: { K_SINK: sink.url, SCHEDULE: '1h', SCHEDULE_NAME: 'default', LOG_LEVEL: 'silent' },
    engineFactory: (options) =>
      createDurableEngine(options, { leaseDurationMs: 60_000, leaseRenewEveryMs: 1_000, clientRetryBudgetMs: 100 }, (control) =>
        control.budgetMs === undefined ? store : refusing(store),
      ),
  });
  try {
    // The starter's first attempts fail; it is sleeping before the next one.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const started = Date.now();
    await env.host.stop();
    const took = Date.now() - started;
    assert.ok(took < 8_000, `host.stop() took ${took} ms`);
    const lease = await store.lease.read();
    assert.equal(lease?.released, true, `the engine shut down and released the lease: ${JSON.stringify(lease)}`);
  } finally {
    await env.teardown();
    await sink.stop();
  }
});

/** This process's inotify watches on `directory` (Linux: /proc/self/fdinfo lists each watch with its inode in hex). */
function inotifyWatchesOn(directory: string): number {
  const inode = `ino:${statSync(directory).ino.toString(16)} `;
  let watches = 0;
  for (const fd of readdirSync('/proc/self/fdinfo')) {
    try {
      watches += readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8').split('\n').filter((l) => l.startsWith('inotify wd:') && l.includes(inode)).length;
    } catch {
      // the descriptor closed meanwhile
    }
  }
  return watches;
}

test('regression: a stopped host no longer watches the schedules file (its watch ran on, reacting through the stopped host and keeping the whole app in memory)', { timeout: 60_000, skip: process.platform !== 'linux' && 'reads /proc/self/fdinfo' }, async () => {
  const store = new MemoryStore();
  await withFileHost('StarterWatch', (options) => createDurableEngine(options, {}, () => store), async (env, dir) => {
    await until('the file to be watched', () => (inotifyWatchesOn(dir) > 0 ? true : undefined), 30_000);
    await env.teardown();
    assert.equal(inotifyWatchesOn(dir), 0, 'the stopped host still watches the schedules file');
  });
});
