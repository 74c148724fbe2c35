/**
 * `GET /api/metrics` of the app on the embedded host (a child process), read with a Prometheus text-format parser
 * and checked against what real loopback sinks received: a schedule whose sink answers 500 then 200 (a retry), 400
 * (rejected), 500 twice (failed, kept, then delivered), and a second schedule whose every tick is dead-lettered.
 * Then the first schedule is paused past its catch-up window: the ticks it skips are counted once, said in a
 * warning line, and make `/api/healthz` say degraded (still 200).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { until, type HostProcess } from '../support/host-process.js';
import { scrape, type Scrape } from '../support/prometheus.js';
import { allowlistOf, RecordingSink, type SinkAttempt } from '../support/recording-sink.js';
import { withScheduledHost } from '../support/scheduled-host.js';

interface Described {
  status: string;
  counters: { delivered: number; rejected: number; failed: number; deadLettered: number; skipped: number };
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

const distinctIds = (attempts: readonly SinkAttempt[]): number => new Set(attempts.map((a) => a.id)).size;

async function send(host: HostProcess, route: string, method: string, body: unknown): Promise<number> {
  const response = await fetch(`${host.url}${route}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  await response.text();
  return response.status;
}

async function pauseAndSettle(host: HostProcess, names: string[]): Promise<void> {
  for (const name of names) assert.equal(await send(host, `/api/schedules/${name}/pause`, 'POST', {}), 202);
  for (const name of names) {
    await until(`${name} paused`, async () => ((await host.getJson<Described>(`/api/schedules/${name}`)).body.status === 'paused' ? true : undefined), 20_000);
  }
}

/** The metrics of `schedule` against what its sink saw; undefined (so `until` polls again) while they differ. */
function mismatch(s: Scrape, schedule: string, attempts: readonly SinkAttempt[]): string | undefined {
  for (const [status, count] of countBy(attempts, (a) => String(a.status))) {
    const got = s.value('eventsource_delivery_attempts_total', { schedule, status });
    if (got !== count) return `${schedule} attempts with ${status}: metrics ${got}, sink ${count}`;
  }
  const total = s.total('eventsource_delivery_attempts_total', { schedule });
  if (total !== attempts.length) return `${schedule} attempts: metrics ${total}, sink ${attempts.length}`;
  return undefined;
}

test('/api/metrics counts every attempt, tick outcome, lateness and duration as the sinks saw them, and the schedules by state', { timeout: 120_000 }, async () => {
  const sink = new RecordingSink();
  const other = new RecordingSink();
  const dead = new RecordingSink();
  // Attempt by attempt: tick 1 500 then 200; tick 2 400 (refused for good); tick 3 500, 500 (attempts out: kept), then 200.
  sink.script = [500, 200, 400, 500, 500];
  other.failWith = 500;
  const settings = (): Record<string, string> => ({
    DELIVERY_RETRY: '2',
    DELIVERY_BACKOFF_DELAY: '100ms',
    DELIVERY_MAX_BACKOFF: '500ms',
    CATCH_UP_WINDOW: '1s',
    SINK_ALLOWLIST: allowlistOf([sink, other, dead]),
  });
  await withScheduledHost({ label: 'metrics', taskHubName: 'Metrics', sinks: [sink, other, dead], settings, tailLines: 60 }, async (running) => {
    const letters = { every: '1s', sink: other.url, delivery: { retry: 0, deadLetterSink: dead.url } };
    assert.ok([200, 201].includes(await send(running, '/api/schedules/letters', 'PUT', letters)));
    await sink.waitFor(4, 30_000);
    await dead.waitFor(2, 30_000);
    await pauseAndSettle(running, ['default', 'letters']);

    // The activity counts after the sink answered: poll until the metrics caught up with the sinks.
    const scraped = await until('the metrics to match the sinks', async () => {
      const { scrape: s } = await scrape(running.url);
      return mismatch(s, 'default', sink.attempts) ?? mismatch(s, 'letters', other.attempts) ?? s;
    }, 15_000).then((value) => value as Scrape);
    const { status, contentType } = await scrape(running.url);
    assert.equal(status, 200);
    assert.match(String(contentType), /^text\/plain; version=0\.0\.4/);

    const ticks = (schedule: string, outcome: string): number => scraped.value('eventsource_ticks_total', { schedule, outcome });
    const accepted = new Set(sink.events.map((e) => e.id)).size;
    assert.equal(ticks('default', 'delivered'), accepted, 'delivered: the events the sink accepted');
    assert.equal(ticks('default', 'rejected'), 1, 'the 400');
    assert.equal(ticks('default', 'failed'), 1, 'the tick whose two attempts got 500 (kept, then delivered)');
    assert.equal(ticks('default', 'dead_lettered'), 0);
    assert.equal(ticks('letters', 'dead_lettered'), new Set(dead.events.map((e) => e.id)).size, 'every tick of letters went to the dead-letter sink');
    assert.equal(ticks('letters', 'delivered'), 0);
    assert.equal(sink.attempts.filter((a) => a.status === 500).length, 3);

    // The same as the schedules' own counters (the orchestrations count in their state, in the step after the
    // activity counted its metrics: on a busy machine the state may show the last tick a moment later).
    const countersOf = async (name: string): Promise<Described['counters']> => (await running.getJson<Described>(`/api/schedules/${name}`)).body.counters;
    const lettersDead = ticks('letters', 'dead_lettered');
    const [own, lettersOwn] = await until('the schedules\' counters to record their last ticks', async () => {
      const pair = [await countersOf('default'), await countersOf('letters')] as const;
      return pair[0].delivered === accepted && pair[1].deadLettered === lettersDead ? pair : undefined;
    }, 10_000).catch(async () => [await countersOf('default'), await countersOf('letters')] as const);
    assert.deepEqual([own.delivered, own.rejected, own.failed, own.deadLettered], [accepted, 1, 1, 0]);
    assert.equal(lettersOwn.deadLettered, lettersDead);

    // Lateness: one observation per tick (its first attempt; not the retry of the kept tick). Duration: every attempt.
    assert.equal(scraped.histogramCount('eventsource_tick_lateness_seconds', { schedule: 'default' }), distinctIds(sink.attempts));
    assert.equal(scraped.histogramCount('eventsource_tick_lateness_seconds', { schedule: 'letters' }), distinctIds(other.attempts));
    assert.equal(scraped.histogramCount('eventsource_delivery_duration_seconds'), sink.attempts.length + other.attempts.length);
    const buckets = scraped.buckets('eventsource_tick_lateness_seconds', { schedule: 'default' });
    assert.deepEqual(Object.keys(buckets).sort((a, b) => Number(a) - Number(b)).slice(0, 1), ['0.001']);
    assert.ok('60' in buckets && '+Inf' in buckets, JSON.stringify(buckets));

    assert.equal(scraped.value('eventsource_schedules', { state: 'paused' }), 2);
    assert.equal(scraped.value('eventsource_schedules', { state: 'running' }), 0);
    // The embedded host's engine metrics come through the app's endpoint (one prom-client registry in the process).
    assert.ok(scraped.value('durable_steps_total') > 0, 'durable_steps_total');
    assert.ok(scraped.total('durable_storage_requests_total', { operation: 'transaction' }) > 0, 'durable_storage_requests_total');
    assert.equal(scraped.value('durable_lease_owned'), 1);
    assert.ok(scraped.histogramCount('durable_step_duration_seconds') > 0);
    // A sink's origin (no path, credentials or query) labels only the sink metrics; no other line names a sink.
    const elsewhere = scraped.text.split('\n').filter((line) => !line.includes('eventsource_sink_')).join('\n');
    for (const s of [sink, other, dead]) assert.ok(!elsewhere.includes(String(new URL(s.url).port)), 'no sink in a label');
    for (const series of scraped.family('eventsource_sink_up')?.series ?? []) assert.equal(series.labels['origin'], new URL(series.labels['origin'] ?? '').origin);
    assert.equal(scraped.value('eventsource_sink_up', { origin: sink.at().origin }), 1);

    // Paused for 3 s with a 1 s catch-up window: on resume the missed ticks are skipped and counted once, but a
    // pause is deliberate: no "falling behind" warning, healthz stays ok (#16).
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const before = sink.events.length;
    assert.equal(await send(running, '/api/schedules/default/resume', 'POST', {}), 202);
    await sink.waitFor(before + 1, 20_000);
    await pauseAndSettle(running, ['default']);
    const skipped = (await running.getJson<Described>('/api/schedules/default')).body.counters.skipped;
    assert.ok(skipped >= 1, `the pause skipped ticks (${skipped})`);
    const counted = await until('the skips in the metrics', async () => {
      const { scrape: s } = await scrape(running.url);
      const value = s.value('eventsource_ticks_total', { schedule: 'default', outcome: 'skipped' });
      return value === skipped ? value : undefined;
    }, 10_000);
    assert.equal(counted, skipped, 'eventsource_ticks_total{outcome="skipped"} is the schedule\'s own count');
    // (A tick late for another reason on a busy machine may still be said; skips are not.)
    const warning = running.records().find((r) => typeof r.msg === 'string' && r.msg.startsWith('schedule default is falling behind:') && Number(r.skippedTicks) > 0);
    assert.equal(warning, undefined, 'ticks a pause held back are no sign of overload');
  });
});
