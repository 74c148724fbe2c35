/**
 * What a schedule's tick costs in storage round trips, counted by a proxy in front of Azurite: a timer loop with one
 * activity and a continue-as-new per tick (the shape of the event source's schedule orchestrator).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectionStringFor } from '../../src/host/storage/azurite.js';
import { useProxiedAzurite } from '../support/azurite.js';
import { startEngine, tickingApp, waitFor } from './harness.js';

const { proxy } = useProxiedAzurite();

for (const { holdSteps, calls, shape } of [
  { holdSteps: true, calls: 1, shape: 'the timer step held until its result: one commit' },
  { holdSteps: false, calls: 2, shape: 'timer step, then result + continue-as-new' },
]) {
  test(`a schedule tick costs ${calls} storage round trip(s) in steady state with holdSteps ${holdSteps} (${shape})`, () => tickCost(holdSteps, calls));
}

async function tickCost(holdSteps: boolean, calls: number): Promise<void> {
  const ticks: number[] = [];
  const engine = await startEngine({
    connectionString: connectionStringFor(proxy.port),
    invoker: tickingApp(100, (n) => ticks.push(n)),
    // No lease renewal or safety net inside the measured window: only the ticks' own calls are counted.
    tuning: { leaseDurationMs: 600_000, leaseRenewEveryMs: 300_000, safetyScanIntervalMs: 0, wakePollIntervalMs: 0, holdSteps },
  });
  try {
    await engine.start('Ticker', { instanceId: 'ticker', input: 0 });
    await waitFor(async () => (ticks.length >= 3 ? true : undefined), 'the first ticks');
    proxy.reset();
    const from = ticks.length;
    await waitFor(async () => (ticks.length >= from + 20 ? true : undefined), '20 more ticks', 30_000);
    const counts = proxy.counts();
    const perTick = proxy.total() / (ticks.length - from);
    console.log(`# storage calls per tick: ${perTick.toFixed(2)} ${JSON.stringify(counts)}`);
    assert.ok(perTick <= calls + 0.1 && perTick >= calls - 0.1, `${calls} calls per tick, got ${perTick.toFixed(2)}: ${JSON.stringify(counts)}`);
    assert.equal(counts.query + counts.get, 0, 'no reads in steady state');
    assert.deepEqual([...ticks].sort((a, b) => a - b), ticks, 'ticks in order');
  } finally {
    await engine.shutdown();
  }
}

test('a new owner preloads its instances with one scan: their first steps read no partition one by one', async () => {
  const hub = `preload${process.pid}`;
  const ticks = new Map<string, number[]>();
  const app = tickingApp(1_500, (n, { instanceId }) => ticks.set(instanceId, [...(ticks.get(instanceId) ?? []), n]));
  const tuning = { leaseDurationMs: 600_000, leaseRenewEveryMs: 300_000, safetyScanIntervalMs: 0, wakePollIntervalMs: 0 };
  const ids = Array.from({ length: 30 }, (_, i) => `t${i}`);
  const first = await startEngine({ connectionString: connectionStringFor(proxy.port), invoker: app, hub, workerId: 'first', tuning });
  try {
    for (const id of ids) await first.start('Ticker', { instanceId: id, input: 0 });
    await waitFor(async () => (ids.every((id) => (ticks.get(id)?.length ?? 0) >= 1) ? true : undefined), 'a tick of each', 60_000);
  } finally {
    await first.shutdown(); // releases the lease: the next owner takes it at once
  }
  const before = new Map(ids.map((id) => [id, ticks.get(id)?.length ?? 0]));
  proxy.reset();
  const second = await startEngine({ connectionString: connectionStringFor(proxy.port), invoker: app, hub, workerId: 'second', tuning });
  try {
    await waitFor(async () => (ids.every((id) => (ticks.get(id)?.length ?? 0) > (before.get(id) ?? 0)) ? true : undefined), 'a tick of each under the new owner', 60_000);
    const counts = proxy.counts();
    console.log(`# storage calls taking over 30 instances and ticking each: ${JSON.stringify(counts)}`);
    assert.ok(counts.query <= 6, `a few queries (wake times, the scan, the message scan), not one per instance: ${JSON.stringify(counts)}`);
    for (const id of ids) {
      const seen = ticks.get(id) ?? [];
      assert.deepEqual(seen, seen.map((_, i) => i), `${id}: every tick once, in order`);
    }
  } finally {
    await second.shutdown();
  }
});
