// The host with orchestrator episodes in worker threads: the real engine (on its memory store), the real
// durable-functions replay in each thread, the fixture app test/host/fixtures/thread-app.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { createDurableEngine } from '../../../src/durable/index.js';
import { MemoryStore } from '../../../src/durable/store/memory/memory-store.js';
import { startHost, type RunningHost } from '../../../src/host/host.js';
import { HostError } from '../../../src/host/host-error.js';
import { waitForStatus } from '../../durable/harness.js';
import { captureLogger, fixtureDir, type CapturedLogger } from '../capture-logger.js';

const CONNECTION = 'AccountName=unused;AccountKey=dW51c2Vk;TableEndpoint=http://127.0.0.1:9/unused;';

async function threadHost(threads: number, env: NodeJS.ProcessEnv = process.env, appDir = fixtureDir('thread-app')): Promise<{ host: RunningHost; log: CapturedLogger }> {
  const log = captureLogger('info');
  const store = new MemoryStore();
  const host = await startHost({
    appDir,
    port: 0,
    connectionString: CONNECTION,
    logger: log.logger,
    env,
    orchestratorThreads: threads,
    engineFactory: (options, tuning) => createDurableEngine(options, tuning, () => store),
  });
  return { host, log };
}

test('with threads, every episode runs in a worker thread and its answer drives the engine as in the host thread', async () => {
  for (const threads of [0, 2]) {
    const { host } = await threadHost(threads);
    try {
      const ids = await Promise.all([1, 2, 3, 4].map((n) => host.engine.start('whereAmI', { instanceId: `where-${n}` })));
      for (const id of ids) {
        const status = await waitForStatus(host.engine, id, ['Completed', 'Failed']);
        const expected = threads > 0 ? 'worker thread' : 'host thread';
        assert.deepEqual(status.output, { first: expected, second: expected, echoed: 'ping' }, `threads=${threads}`);
      }
    } finally {
      await host.stop();
    }
  }
});

test("an orchestrator's log line from a thread comes out of the host's logger, level and function kept", async () => {
  const { host, log } = await threadHost(1);
  try {
    const id = await host.engine.start('logsFromEpisode', { instanceId: 'logger-1' });
    await waitForStatus(host.engine, id, ['Completed']);
  } finally {
    await host.stop();
  }
  const line = log.lines.find((l) => String(l.msg).includes('says hello'));
  assert.ok(line, 'the episode line was forwarded');
  assert.equal(line.msg, 'episode of logger-1 says hello from the worker thread');
  assert.equal(line.level, 40);
  assert.equal(line.function, 'logsFromEpisode');
  assert.equal(line.component, 'app');
});

test('a thread that ends mid-episode is replaced; the episode fails, runs again in the new thread, and the instance completes', async () => {
  const marker = path.join(mkdtempSync(path.join(tmpdir(), 'thread-marker-')), 'ended');
  const { host, log } = await threadHost(1);
  try {
    const id = await host.engine.start('endsItsThreadOnce', { instanceId: 'ends-once', input: marker });
    const status = await waitForStatus(host.engine, id, ['Completed', 'Failed']);
    assert.equal(status.output, 'survived in the worker thread');
  } finally {
    await host.stop();
  }
  assert.ok(existsSync(marker), 'the first thread did end');
  assert.ok(log.lines.some((l) => l.level === 50 && /orchestrator thread lost \(exited with code 7\); starting another/.test(String(l.msg))));
});

test('an app that cannot load in a thread stops the host from starting, with a line that says so', async () => {
  await assert.rejects(threadHost(1, { ...process.env, THREAD_APP_FAIL_IN_THREAD: '1' }), (err: unknown) => {
    assert.ok(err instanceof HostError);
    assert.equal(err.code, 'EPISODE_THREAD_FAILED');
    assert.match(err.message, /an orchestrator thread could not load the app: .*this app refuses to load in a thread/);
    return true;
  });
});
