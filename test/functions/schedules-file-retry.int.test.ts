/**
 * A schedules-file reconcile that does not finish (the storage refuses a start) is tried again within seconds, not at
 * the next hourly run: before, a failed action was logged and the entry waited an hour (found by simulation seed
 * 30001382, where a file's schedule re-added across a restart stayed absent). Real app, memory store, real file.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { createDurableEngine } from '../../src/durable/engine.js';
import { StorageUnavailableError } from '../../src/durable/errors.js';
import type { HubStore } from '../../src/durable/store/hub-store.js';
import { MemoryStore } from '../../src/durable/store/memory/memory-store.js';
import { createTestEnvironment } from '../../src/host/testing/test-environment.js';
import { RecordingSink } from '../support/recording-sink.js';

const root = path.resolve(__dirname, '..', '..', '..');

/** The store as the app's client calls see it: the first `refusals` starts refused, as an unavailable account would. */
function refusingStarts(store: MemoryStore, refusals: number): HubStore {
  let refused = 0;
  return new Proxy(store, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (property !== 'startInstance' || typeof value !== 'function') return value;
      return (...args: unknown[]): Promise<unknown> =>
        refused++ < refusals ? Promise.reject(new StorageUnavailableError('storage unavailable during startInstance (test)')) : (Reflect.apply(value, target, args) as Promise<unknown>);
    },
  });
}

test('a file entry whose start the storage refused runs within seconds, not at the next hourly run', { timeout: 60_000 }, async () => {
  const sink = new RecordingSink();
  await sink.start();
  const dir = mkdtempSync(path.join(tmpdir(), 'file-retry-'));
  const file = path.join(dir, 'schedules.yaml');
  writeFileSync(file, 'schedules:\n  - name: filed\n    every: 1h\n');
  const store = new MemoryStore();
  const env = await createTestEnvironment({
    appDir: root,
    withoutAzurite: true,
    taskHubName: 'FileRetry',
    env: { K_SINK: sink.url, SCHEDULES_FILE: file, LOG_LEVEL: 'silent' },
    engineFactory: (options) =>
      createDurableEngine(options, { clientRetryBudgetMs: 100 }, (control) => (control.budgetMs === undefined ? store : refusingStarts(store, 2))),
  });
  try {
    const started = Date.now();
    let status = 0;
    while (Date.now() - started < 15_000 && status !== 200) {
      status = (await env.getJson('/api/schedules/filed')).status;
      if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const took = Date.now() - started;
    assert.equal(status, 200, `filed still absent after ${took} ms`);
    // Two refusals: tried again after 1 s and 2 s of back-off.
    assert.ok(took < 10_000, `filed ran after ${took} ms`);
  } finally {
    await env.teardown();
    await sink.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
