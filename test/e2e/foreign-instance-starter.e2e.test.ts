/**
 * What the starter says about an instance it did not create (issue #8), with real host processes on one Azurite:
 * a forged state started over the terminated schedule is reported at the next host start (today: "schedule already
 * running; left alone"), and once an operator terminated it, the next start begins a new generation and says so
 * (today: "schedule restarted where it stopped", continuing the forged sequence with ids the sink already had).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { until, type HostProcess } from '../support/host-process.js';
import { RecordingSink } from '../support/recording-sink.js';
import { withSuccessiveHosts } from '../support/scheduled-host.js';

const API = '/runtime/webhooks/durabletask';

async function post(host: HostProcess, route: string, body?: unknown): Promise<number> {
  const response = await fetch(`${host.url}${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  await response.arrayBuffer();
  return response.status;
}

async function runtimeStatus(host: HostProcess, wanted: string): Promise<Record<string, unknown>> {
  return until(`schedule-default ${wanted}`, async () => {
    const { body } = await host.getJson<{ runtimeStatus?: string; customStatus?: Record<string, unknown> }>(`${API}/instances/schedule-default`);
    return body.runtimeStatus === wanted ? (body.customStatus ?? {}) : undefined;
  }, 15_000);
}

test('the starter reports a forged instance, then starts a new generation instead of continuing it', { timeout: 120_000 }, async () => {
  const sink = new RecordingSink();
  await withSuccessiveHosts({ taskHubName: 'ForeignInstance', sink }, async (start) => {
    const startHost = (label: string): Promise<HostProcess> => start(label, { SCHEDULE: '1m' });
    const first = await startHost('first');
    const genuine = await runtimeStatus(first, 'Running');
    assert.equal(await post(first, `${API}/instances/schedule-default/terminate?reason=test`), 202);
    await runtimeStatus(first, 'Terminated');
    const forged = {
      name: 'default', spec: genuine['normalizedSpec'], generation: genuine['generation'], sequence: 1,
      counters: genuine['counters'], recent: [], consecutiveFailures: 0, queue: [],
    };
    assert.equal(await post(first, `${API}/orchestrators/scheduleOrchestrator/schedule-default`, forged), 202);
    await until('the forged status', async () => {
      const { body } = await first.getJson<{ customStatus?: { origin?: string; nextSequence?: number } }>(`${API}/instances/schedule-default`);
      return body.customStatus?.nextSequence === 1 && body.customStatus.origin === undefined ? true : undefined;
    }, 15_000);
    assert.equal((await first.stop()).code, 0);

    const second = await startHost('second');
    const alert = await until('the starter to report the forged instance', () => second.records().find((r) => r.msg?.includes('not created by this starter')), 20_000);
    assert.equal(alert['level'], 50, 'error, as pino writes it');
    assert.match(String(alert.msg), /^schedule instance schedule-default is Running but it was not created by this starter .*terminate it/);
    assert.ok(!second.records().some((r) => r.msg === 'schedule already running; left alone'));
    assert.equal(await post(second, `${API}/instances/schedule-default/terminate?reason=forged`), 202);
    await runtimeStatus(second, 'Terminated');
    assert.equal((await second.stop()).code, 0);

    const third = await startHost('third');
    const restart = await until('the starter to start a new generation', () => third.records().find((r) => r.msg?.includes('started a new generation')), 20_000);
    assert.equal(restart['level'], 40, 'warn, as pino writes it');
    assert.notEqual(restart['generation'], genuine['generation']);
    assert.ok(!third.records().some((r) => r.msg === 'schedule restarted where it stopped'));
    const status = await runtimeStatus(third, 'Running');
    assert.equal(status['nextSequence'], 1);
    assert.equal(typeof status['origin'], 'string', 'the new generation is marked as the starter\'s');
    assert.equal((await third.stop()).code, 0);
  });
});
