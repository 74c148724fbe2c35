/**
 * Overload is never silent, through the app on the embedded host (a child process, real time): a sink that takes
 * 300 ms per event behind a 200 ms schedule makes every tick later than the one before. Past LATE_TICK_THRESHOLD the
 * host says so in a warning line at most once per OVERLOAD_LOG_INTERVAL (not once per tick), `/api/healthz` says
 * degraded (with 200) and why, and the lateness histogram shows it; once the sink is fast again the schedule catches
 * up and healthz says ok.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { until, type LogRecord } from '../support/host-process.js';
import { scrape } from '../support/prometheus.js';
import { RecordingSink } from '../support/recording-sink.js';
import { withScheduledHost } from '../support/scheduled-host.js';

interface Health {
  status: string;
  reasons?: string[];
}

const INTERVAL_MS = 3_000;

test('late ticks: one warning line per interval, healthz degraded while it lasts, ok again once the schedule caught up', { timeout: 120_000 }, async () => {
  const sink = new RecordingSink();
  sink.delayMs = 300;
  const settings = (): Record<string, string> => ({
    SCHEDULE: '200ms',
    MIN_INTERVAL: '100ms',
    LATE_TICK_THRESHOLD: '500ms',
    OVERLOAD_LOG_INTERVAL: `${INTERVAL_MS}ms`,
  });
  await withScheduledHost({ label: 'overload', taskHubName: 'Overload', sinks: [sink], settings }, async (running) => {
    const degraded = await until('healthz to say degraded', async () => {
      const health = await running.getJson<Health>('/api/healthz');
      assert.equal(health.status, 200, 'degraded is still 200: no reason to restart the pod');
      return health.body.status === 'degraded' ? health.body : undefined;
    }, 30_000);
    assert.match(degraded.reasons?.[0] ?? '', /^default: \d+ tick\(s\) late by up to [\d.]+ s, 0 skipped, since \d{4}-/);
    // Stay slow for two more intervals.
    await new Promise((resolve) => setTimeout(resolve, 2 * INTERVAL_MS + 500));
    const lateLines = (): LogRecord[] => running.records().filter((r) => typeof r.msg === 'string' && r.msg.startsWith('schedule default is falling behind:'));
    const lines = lateLines();
    const lateTicks = lines.reduce((sum, line) => sum + Number(line.lateTicks), 0);
    assert.ok(lines.length >= 2, `a line per interval while it lasts (${lines.length})`);
    assert.ok(lateTicks >= 2 * lines.length, `lines cover many late ticks each, not one per tick (${lines.length} lines, ${lateTicks} ticks)`);
    console.log(`overload: ${lines.length} lines for ${lateTicks} late ticks`);
    const times = lines.map((line) => Number(line.time)); // pino's epoch milliseconds
    for (let i = 1; i < times.length; i++) {
      // Rate-limited on the orchestration's dispatch times; a line is written after its attempt (300 ms here, more on a busy machine).
      assert.ok((times[i] as number) - (times[i - 1] as number) >= INTERVAL_MS - 1_000, `lines ${i} and ${i + 1} are ${(times[i] as number) - (times[i - 1] as number)} ms apart`);
    }
    assert.match(String(lines[1]?.msg), /^schedule default is falling behind: \d+ tick\(s\) sent late, up to [\d.]+ s after their time \(threshold 0\.5 s\) in the last [\d.]+ s$/);
    const { scrape: slow } = await scrape(running.url);
    const buckets = slow.buckets('eventsource_tick_lateness_seconds', { schedule: 'default' });
    assert.ok((buckets['0.5'] ?? 0) < (buckets['+Inf'] ?? 0), `the histogram shows ticks later than 0.5 s: ${JSON.stringify(buckets)}`);

    // The sink is fast again: the buffered ticks go out, the schedule is on time again, healthz says ok.
    sink.delayMs = 0;
    await until('healthz to say ok again', async () => {
      const health = await running.getJson<Health>('/api/healthz');
      return health.body.status === 'ok' ? true : undefined;
    }, 30_000);
    const sequences = sink.sequences();
    assert.deepEqual(sequences, sequences.map((_, i) => i + 1), 'nothing was skipped or lost: every tick in order');
  });
});
