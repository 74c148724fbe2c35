/**
 * A schedules-file reconcile that does not finish (the storage refuses a start) is tried again within seconds, not at
 * the next hourly run: before, a failed action was logged and the entry waited an hour (found by simulation seed
 * 30001382, where a file's schedule re-added across a restart stayed absent). Real app, memory store, real file.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createDurableEngine } from '../../src/durable/engine.js';
import { MemoryStore } from '../../src/durable/store/memory/memory-store.js';
import type { EngineFactory } from '../../src/host/host.js';
import { withFileHost } from '../support/file-host.js';
import { refusingStarts } from '../support/refusing-starts.js';

test('a file entry whose start the storage refused runs within seconds, not at the next hourly run', { timeout: 60_000 }, async () => {
  const store = new MemoryStore();
  const engineFactory: EngineFactory = (options) =>
    createDurableEngine(options, { clientRetryBudgetMs: 100 }, (control) => (control.budgetMs === undefined ? store : refusingStarts(store, 2)));
  await withFileHost('FileRetry', engineFactory, async (env) => {
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
  });
});
