/**
 * `GET /api/schedules?top=1` reads one page from storage (one query per partition of the hub) whatever the number of schedules: the same number of
 * storage requests (the engine's own counters, `durable_storage_requests_total`) at 10,000 schedules as at 10. The
 * schedules beyond the first are instance rows written straight into the hub (ended ones, so the host has nothing
 * to run for them); the listing reads them as it reads any.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { newExecution } from '../../src/durable/instance-start.js';
import { rowFromRecord } from '../../src/durable/store/azure-tables/instance-row.js';
import { readHubLayout } from '../../src/durable/store/azure-tables/hub-layout.js';
import { storageCallCounts } from '../../src/durable/store/azure-tables/storage-metrics.js';
import { HubTable } from '../../src/durable/store/azure-tables/table-store.js';
import { createTestEnvironment, type TestEnvironment } from '../../src/host/testing/test-environment.js';
import { VirtualClock } from '../../src/durable/clock/virtual-clock.js';
import { instanceIdFor, ORCHESTRATOR } from '../../src/functions/shared/names.js';
import { testLogger } from '../durable/harness.js';
import { until } from '../support/host-process.js';
import { RecordingSink } from '../support/recording-sink.js';

const root = path.resolve(__dirname, '..', '..', '..');
const HUB = 'ListCost';
const sink = new RecordingSink();
let env: TestEnvironment;
let table: HubTable;
const clock = new VirtualClock();

before(async () => {
  await sink.start();
  env = await createTestEnvironment({ appDir: root, taskHubName: HUB, env: { K_SINK: sink.url, SCHEDULE: '1h', SCHEDULE_NAME: 'default', LOG_LEVEL: 'silent' } });
  await until('the default schedule to run', async () => ((await env.getJson('/api/schedules/default')).status === 200 ? true : undefined), 30_000);
  if (env.azurite === undefined) throw new Error('this test runs on Azurite');
  table = new HubTable(env.azurite.connectionString, HUB, testLogger(), { stopping: () => false, budgetMs: 30_000 });
});

after(async () => {
  await env?.teardown();
  await sink.stop();
});

/** Ended schedules `seed-<from>` … `seed-<to - 1>`, written 32 at a time. */
async function seed(from: number, to: number): Promise<void> {
  let next = from;
  const layout = await readHubLayout(table);
  const worker = async (): Promise<void> => {
    for (let i = next++; i < to; i = next++) {
      const instanceId = instanceIdFor(`seed-${String(i).padStart(5, '0')}`);
      const { record } = newExecution(clock, instanceId, ORCHESTRATOR, undefined, clock.now(), undefined);
      await table.transact([['create', rowFromRecord({ ...record, status: 'Completed', nextWakeAt: -1 }, layout)]]);
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
}

/** Storage requests of one `GET /api/schedules?top=1` (the least of three, so a lease renewal in between does not count). */
async function costOfFirstPage(): Promise<number> {
  const costs: number[] = [];
  for (let i = 0; i < 3; i++) {
    const before = storageCallCounts().total;
    const page = await env.getJson<{ schedules: Array<{ name: string }>; continuationToken?: string }>('/api/schedules?top=1');
    costs.push(storageCallCounts().total - before);
    assert.equal(page.status, 200);
    assert.deepEqual(page.body.schedules.map((s) => s.name), ['default']);
    assert.ok(page.body.continuationToken, 'more pages');
  }
  return Math.min(...costs);
}

test('GET /api/schedules?top=1 costs the same storage requests at 10,000 schedules as at 10', { timeout: 300_000 }, async () => {
  await seed(0, 9);
  const atTen = await costOfFirstPage();
  // One query per partition of the hub (its instances share them), and perhaps the lease's renewal.
  const { partitions } = await readHubLayout(table);
  assert.ok(atTen >= partitions && atTen <= partitions + 1, `one page read per partition (${atTen} for ${partitions})`);
  await seed(9, 9_999);
  assert.equal(await costOfFirstPage(), atTen, 'the same at 10,000 schedules');
  // The second page starts where the first ended.
  const first = await env.getJson<{ continuationToken: string }>('/api/schedules?top=1');
  const second = await env.getJson<{ schedules: Array<{ name: string }> }>(`/api/schedules?top=2&continuationToken=${first.body.continuationToken}`);
  assert.deepEqual(second.body.schedules.map((s) => s.name), ['seed-00000', 'seed-00001']);
});
