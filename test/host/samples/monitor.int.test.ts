/**
 * The samples' monitor (weatherMonitor) on the embedded host: check, durable timer, check again until the weather
 * clears or the deadline passes; as one looping execution and as an eternal one that continues as new per check.
 * Short real timers.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSamples, sleep, type SamplesEnv } from './samples-env.js';

let s: SamplesEnv;
before(async () => {
  s = await startSamples('SamplesMonitor');
});
after(async () => s?.teardown());

interface Weather {
  description: string | null;
  checks: number;
}

async function setWeather(city: string, description: string): Promise<void> {
  const response = await s.env.fetch(`/api/world/weather/${city}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ description }),
  });
  assert.equal(response.status, 200);
}

async function checksOf(city: string, atLeast: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await s.world<Weather>(`weather/${city}`)).checks < atLeast) {
    if (Date.now() > deadline) throw new Error(`${city} checked fewer than ${atLeast} times`);
    await sleep(20);
  }
}

for (const orchestrator of ['weatherMonitor', 'weatherMonitorAsNew']) {
  describe(orchestrator, () => {
    test('polls while it rains, alerts once the sky clears, then completes', async () => {
      const city = `${orchestrator}-clears`;
      const phone = `+1-555-${orchestrator}`;
      await setWeather(city, 'light rain');
      const id = await s.client.startNew(orchestrator, { input: { city, phone, intervalMs: 100, expiresInMs: 60_000 } });
      await checksOf(city, 2);
      assert.equal((await s.client.getStatus(id)).runtimeStatus, 'Running');
      assert.deepEqual(await s.world<string[]>(`sms/${encodeURIComponent(phone)}`), [], 'no alert while it rains');
      await setWeather(city, 'clear sky');
      const done = await s.settle(id, 'Completed');
      const output = done.output as { alerted: boolean; checks: number };
      assert.equal(output.alerted, true);
      assert.equal(output.checks, (await s.world<Weather>(`weather/${city}`)).checks, 'one check per activity call');
      assert.deepEqual(done.customStatus, { checks: output.checks });
      assert.deepEqual(await s.world<string[]>(`sms/${encodeURIComponent(phone)}`), [
        `The weather's clear outside in ${city}! Go take a walk!`,
      ]);
    });

    test('gives up at its deadline without an alert when it never clears', async () => {
      const city = `${orchestrator}-rains`;
      const phone = `+1-555-${orchestrator}-2`;
      await setWeather(city, 'heavy rain');
      const started = Date.now();
      const id = await s.client.startNew(orchestrator, { input: { city, phone, intervalMs: 100, expiresInMs: 1_000 } });
      const done = await s.settle(id, 'Completed');
      assert.ok(Date.now() - started >= 900, 'ran until about its deadline');
      const output = done.output as { alerted: boolean; checks: number };
      assert.equal(output.alerted, false);
      // One check at the start and one per 100 ms timer before the 1 s deadline: at most 10 (fewer when slow).
      assert.ok(output.checks >= 2 && output.checks <= 10, `checks: ${output.checks}`);
      assert.equal(output.checks, (await s.world<Weather>(`weather/${city}`)).checks);
      assert.deepEqual(await s.world<string[]>(`sms/${encodeURIComponent(phone)}`), []);
    });
  });
}

test('a monitor without a city fails with its validation message', async () => {
  const id = await s.client.startNew('weatherMonitor', { input: { phone: '+1', intervalMs: 100, expiresInMs: 100 } });
  assert.match(String((await s.settle(id, 'Failed')).output), /A city is required\./);
});
