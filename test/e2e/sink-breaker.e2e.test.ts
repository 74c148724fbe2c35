/**
 * Schedules that share a sink share what they learn of it (#16): 50 schedules at 1 s post to one sink, which answers
 * 503 for 10 s. While it is down the host sends about one probe per second instead of every tick's retries, says
 * so in /api/healthz and the metrics; once it is back, the first event arrives within about a second, every schedule's
 * backlog drains in order, and nothing is lost or doubled. The default delivery policy (5 attempts, back-off from
 * 1 s up to 30 s): without the breaker the ticks sit out their back-off and the 30 s park.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { checkStream } from '../support/delivery-checks.js';
import { until } from '../support/host-process.js';
import { scrape } from '../support/prometheus.js';
import { RecordingSink } from '../support/recording-sink.js';
import { withScheduledHost } from '../support/scheduled-host.js';

const SCHEDULES = 50;
const OUTAGE_MS = 10_000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

interface Health {
  status: string;
  reasons?: string[];
}

test(`${SCHEDULES} schedules, their sink answering 503 for 10 s: probes only, degraded, then delivery within ~1 s of recovery and the backlog in order`, { timeout: 180_000 }, async (t) => {
  const sink = new RecordingSink();
  const dir = mkdtempSync(path.join(tmpdir(), 'sink-breaker-'));
  const names = Array.from({ length: SCHEDULES }, (_, i) => `s${String(i).padStart(2, '0')}`);
  const file = path.join(dir, 'schedules.yaml');
  writeFileSync(file, `schedules:\n${names.map((name) => `  - name: ${name}\n    every: 1s\n`).join('')}`);
  const env = (storage: string): Record<string, string> => ({ AzureWebJobsStorage: storage, K_SINK: sink.url, SCHEDULES_FILE: file, TaskHubName: 'SinkBreaker', LOG_LEVEL: 'warn' });
  try {
    await withScheduledHost({ label: 'breaker', taskHubName: 'SinkBreaker', sinks: [sink], env, tailLines: 60 }, async (running) => {
      const origin = sink.at().origin;
      const of = (name: string): number => sink.events.filter((e) => e.data.schedule === name).length;
      await until('every schedule to deliver 3 events', () => (names.every((name) => of(name) >= 3) ? true : undefined), 60_000);

      const outageStart = Date.now();
      const attemptsBefore = sink.attempts.length;
      sink.failWith = 503;
      await sleep(OUTAGE_MS / 2);
      const health = await running.getJson<Health>('/api/healthz');
      const during = (await scrape(running.url)).scrape;
      await sleep(OUTAGE_MS / 2);
      sink.failWith = undefined;
      const recovered = Date.now();
      const outageAttempts = sink.attempts.length - attemptsBefore;

      await until(
        'every schedule to deliver a tick scheduled 3 s after the recovery',
        () => (names.every((name) => sink.events.some((e) => e.data.schedule === name && Date.parse(e.time) >= recovered + 3_000)) ? true : undefined),
        60_000,
      );
      const after = (await scrape(running.url)).scrape;
      const healthAfter = await running.getJson<Health>('/api/healthz');
      assert.ok(running.running, `the host must still run\n${running.tail()}`);
      await running.stop();

      // Nothing lost or doubled, in order, per schedule; every outage tick arrived after the recovery.
      let duplicates = 0;
      let drainedAt = recovered;
      const drained: number[] = [];
      for (const name of names) {
        const events = sink.events.filter((e) => e.data.schedule === name);
        const summary = checkStream(events, 1_000);
        duplicates += summary.duplicates;
        const outageTicks = events.filter((e) => Date.parse(e.time) >= outageStart && Date.parse(e.time) < recovered);
        assert.ok(outageTicks.length >= OUTAGE_MS / 1_000 - 1, `${name}: ${outageTicks.length} ticks of the outage delivered`);
        drainedAt = Math.max(drainedAt, ...outageTicks.map((e) => e.receivedAt));
        drained.push(Math.max(...outageTicks.map((e) => e.receivedAt)) - recovered);
      }
      drained.sort((a, b) => a - b);
      assert.equal(duplicates, 0, 'no event delivered twice');

      const first = Math.min(...sink.events.filter((e) => e.receivedAt >= recovered).map((e) => e.receivedAt));
      assert.ok(first - recovered <= 1_500, `the first event arrived ${first - recovered} ms after the sink recovered (at most 1.5 s)`);
      assert.ok(outageAttempts <= 40, `${outageAttempts} POSTs reached the sink during the ${OUTAGE_MS / 1000} s outage: a few failures, then about one probe a second`);

      assert.equal(health.body.status, 'degraded');
      assert.ok(health.body.reasons?.some((r) => r.includes(`sink ${origin} down since `)), `healthz names the sink: ${JSON.stringify(health.body)}`);
      assert.equal(during.value('eventsource_sink_up', { origin }), 0);
      assert.equal(after.value('eventsource_sink_up', { origin }), 1);
      const downSeconds = after.value('eventsource_sink_down_seconds_total', { origin });
      assert.ok(downSeconds >= OUTAGE_MS / 1000 - 2 && downSeconds <= OUTAGE_MS / 1000 + 2, `eventsource_sink_down_seconds_total ${downSeconds}`);
      assert.ok(!(healthAfter.body.reasons ?? []).some((r) => r.includes(origin)), `healthz no longer names the sink: ${JSON.stringify(healthAfter.body)}`);

      t.diagnostic(`first event ${first - recovered} ms after recovery; backlog drained ${drainedAt - recovered} ms after it (per schedule: median ${drained[drained.length >> 1]} ms, 90th ${drained[Math.floor(drained.length * 0.9)]} ms)`);
      const parked = running.records().filter((r) => r.msg === 'event delivery failed' && r.status === 503);
      t.diagnostic(`failed attempts logged: ${parked.length}; by schedule: ${JSON.stringify(Object.fromEntries(names.map((n) => [n, parked.filter((r) => r.schedule === n).length]).filter(([, c]) => Number(c) > 1)))}`);
      t.diagnostic(`POSTs during the outage: ${outageAttempts}; down for ${downSeconds.toFixed(1)} s per the metrics; events ${sink.events.length}`);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
