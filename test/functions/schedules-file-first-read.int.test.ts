/**
 * The first reconcile of SCHEDULES_FILE applies the file as it is when the reconcile runs, not as it was when the
 * worker loaded: a start-up whose first tries failed (storage unavailable) reconciled later with the load-time read,
 * stopped a file schedule that the file had named since, and started it again as a new generation (sequence from 1,
 * its due tick lost). Found by simulation seed 60008351, where the standby's delayed start-up did this to `filed`
 * just after an edit of the file. Real app, one memory store for two hosts in turn, real file.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { createDurableEngine } from '../../src/durable/engine.js';
import { MemoryStore } from '../../src/durable/store/memory/memory-store.js';
import type { EngineFactory } from '../../src/host/host.js';
import type { TestEnvironment } from '../../src/host/testing/test-environment.js';
import { FILED, withFileHost } from '../support/file-host.js';
import { until } from '../support/host-process.js';
import { refusingStarts } from '../support/refusing-starts.js';
import { replaceFile } from '../support/replace-file.js';

const OTHER = 'schedules:\n  - name: other\n    every: 1h\n';

async function generationOf(env: TestEnvironment, name: string): Promise<string | undefined> {
  const got = await env.getJson(`/api/schedules/${name}`);
  return got.status === 200 ? String((got.body as { generation?: unknown }).generation) : undefined;
}

test('a start-up reconciles the schedules file as it is then, not as it was when the worker loaded', { timeout: 60_000 }, async () => {
  const store = new MemoryStore();
  const plain: EngineFactory = (options) => createDurableEngine(options, { clientRetryBudgetMs: 100 }, () => store);
  let before = '';
  await withFileHost('FirstRead', plain, async (env) => {
    before = await until('filed to run', () => generationOf(env, 'filed'), 15_000);
  });

  // The next worker loads while the file names only `other`; its first two starts are refused (1 s and 2 s of
  // back-off), and meanwhile the file names `filed` again, as it did when `filed` was started.
  const refusing: EngineFactory = (options) =>
    createDurableEngine(options, { clientRetryBudgetMs: 100 }, (control) => (control.budgetMs === undefined ? store : refusingStarts(store, 2)));
  await withFileHost(
    'FirstRead',
    refusing,
    async (env, dir) => {
      replaceFile(path.join(dir, 'schedules.yaml'), FILED);
      await until('the environment schedule to run (the start-up went through)', () => generationOf(env, 'default'), 15_000);
      const watchUntil = Date.now() + 2_000;
      while (Date.now() < watchUntil) {
        assert.equal(await generationOf(env, 'filed'), before, 'filed was stopped or started again as a new generation');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.equal((await env.getJson('/api/schedules/other')).status, 404, 'other, which the file no longer names, was started');
    },
    { text: OTHER, env: { SCHEDULE: '1h' } },
  );
});
