/**
 * The engine's `durable_*` metrics as Prometheus reads them (prom-client's default registry, parsed by a real
 * text-format parser): steps and storage requests counted as they happen, the timer and lease gauges read from the
 * running engine at scrape time, and nothing left behind by an engine that stopped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { register } from 'prom-client';
import { useAzurite } from '../support/azurite.js';
import { storageCallCounts } from '../../src/durable/store/azure-tables/storage-metrics.js';
import { DirectInvoker } from '../support/direct-invoker.js';
import { histogramCount, parsePrometheus, sampleValue, type PromFamily } from '../support/prometheus-text.js';
import { startEngine, waitForStatus } from './harness.js';

const azurite = useAzurite();

async function scrape(): Promise<Map<string, PromFamily>> {
  return parsePrometheus(await register.metrics());
}

test('steps, storage requests, timers and the lease show in the default registry', async () => {
  const invoker = new DirectInvoker()
    .activity('Echo', (x: number) => x)
    .orchestration('Chain', function* (ctx) {
      const a = (yield ctx.df.callActivity('Echo', 1)) as number;
      const b = (yield ctx.df.callActivity('Echo', 2)) as number;
      return a + b;
    })
    .orchestration('Sleeper', function* (ctx) {
      yield ctx.df.createTimer(new Date(ctx.df.currentUtcDateTime.getTime() + 3_600_000));
    });
  const before = await scrape();
  const stepsBefore = sampleValue(before, 'durable_steps_total');
  const stepTimingsBefore = histogramCount(before, 'durable_step_duration_seconds');

  const engine = await startEngine({ connectionString: azurite.connectionString, invoker, tuning: { wakePollIntervalMs: 0 } }); // no storage call between the scrape and the counts below
  try {
    const id = await engine.start('Chain', { input: null });
    assert.equal((await waitForStatus(engine, id, ['Completed', 'Failed'])).runtimeStatus, 'Completed');
    await engine.start('Sleeper', { input: null });
    await engine.start('Sleeper', { input: null });

    let now = await scrape();
    for (let i = 0; i < 100 && sampleValue(now, 'durable_timers_pending') < 2; i++) {
      await new Promise((r) => setTimeout(r, 50));
      now = await scrape();
    }
    // Chain: its start, then its two results in one commit (the step that scheduled Echo 2 is held until Echo 2's
    // result); each Sleeper: its start.
    const steps = sampleValue(now, 'durable_steps_total') - stepsBefore;
    assert.ok(steps >= 4, `steps counted: ${steps}`);
    assert.equal(histogramCount(now, 'durable_step_duration_seconds') - stepTimingsBefore, steps);
    assert.equal(sampleValue(now, 'durable_timers_pending'), 2);
    assert.equal(sampleValue(now, 'durable_lease_owned'), 1);

    // The counter is the storage policy's own count, by operation, and every request was timed.
    const counts = storageCallCounts();
    for (const [operation, count] of Object.entries(counts.calls)) {
      assert.equal(sampleValue(now, 'durable_storage_requests_total', { operation }), count, operation);
    }
    const timed = histogramCount(now, 'durable_storage_request_duration_seconds');
    assert.ok(timed > 0 && timed <= counts.total, `timed ${timed} of ${counts.total}`);
    assert.equal(now.get('durable_storage_requests_total')?.type, 'counter');
    assert.equal(now.get('durable_step_duration_seconds')?.type, 'histogram');
  } finally {
    await engine.shutdown();
  }
  const stopped = await scrape();
  assert.equal(sampleValue(stopped, 'durable_timers_pending'), 0);
  assert.equal(sampleValue(stopped, 'durable_lease_owned'), 0);
});
