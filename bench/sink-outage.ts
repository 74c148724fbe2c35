/**
 * A sink that comes back is used again at once (#16), measured from outside: N schedules at 1 s post to the bench's
 * sink, which then answers 503 for a while (its own clock says exactly when it recovers). Measured: the time from the
 * recovery to the first 2xx delivery, the time until every event held back has arrived, whether any tick was lost or
 * doubled (by id) and each schedule's order kept, and what /api/healthz and /api/metrics said of the outage while it
 * lasted and after (the sink breaker's `eventsource_sink_up` and `eventsource_sink_down_seconds_total`).
 */
import { scrape } from '../test/support/prometheus.js';
import { BenchHost } from './host-runner.js';
import { hubName, sleep, storageFor, type BenchEnv } from './bench-env.js';
import type { OutageReport } from './sink-outage-report.js';
import { startSchedules } from './start-schedules.js';
import { round } from './stats.js';

export interface SinkOutagePlan {
  schedules: number;
  /** How long the sink answers 503. */
  outageMs: number;
  /** Time allowed for every schedule to deliver before the outage. */
  warmupBudgetMs: number;
  /** Time allowed after the recovery for every schedule to deliver a tick scheduled 2 s after it. */
  drainBudgetMs: number;
  startDeadlineMs: number;
}

/** What the host said of the sink: /api/healthz's status and whether it named the sink; the breaker's metrics. */
interface SinkReport {
  health: string;
  namesSink: boolean;
  sinkUp: number | null;
  downSeconds: number | null;
}

export interface SinkOutageResult {
  schedules: number;
  started: number;
  outageS: number;
  /** Seconds from the recovery to the first 2xx delivery (null: none). */
  recoveryS: number | null;
  /** Seconds from the recovery until each schedule's first 2xx delivery: the median schedule's and the slowest's. */
  resumedS: { p50: number; max: number } | null;
  /** Seconds from the recovery until every event scheduled before it had arrived (null: not within the budget). */
  drainS: number | null;
  /** Events the sink took per second while draining (the backlog and the ticks due meanwhile). */
  drainPerSecond: number | null;
  /** Schedules that delivered a tick scheduled 2 s after the recovery, within the budget. */
  caughtUp: number;
  report: OutageReport;
  during: SinkReport;
  after: SinkReport;
}

const INTERVAL_MS = 1_000;

async function sinkReport(host: BenchHost, origin: string): Promise<SinkReport> {
  const response = await fetch(`${host.url}/api/healthz`, { signal: AbortSignal.timeout(10_000) });
  const health = (await response.json()) as { status: string; reasons?: string[] };
  const metrics = (await scrape(host.url)).scrape;
  const has = (name: string): boolean => metrics.family(name)?.series.some((s) => s.labels.origin === origin) ?? false;
  return {
    health: health.status,
    namesSink: (health.reasons ?? []).some((r) => r.includes(`sink ${origin} down`)),
    sinkUp: has('eventsource_sink_up') ? metrics.value('eventsource_sink_up', { origin }) : null,
    downSeconds: has('eventsource_sink_down_seconds_total') ? round(metrics.value('eventsource_sink_down_seconds_total', { origin }), 1) : null,
  };
}

/** Waits until `count` schedules have delivered a tick scheduled at or after `at`; how many had when it stopped. */
async function caughtUp(env: BenchEnv, at: number, count: number, deadline: number): Promise<number> {
  for (;;) {
    const done = await env.sink.request<number>('caughtUp', { at });
    if (done >= count || Date.now() >= deadline) return done;
    await sleep(100);
  }
}

export async function runSinkOutage(env: BenchEnv, plan: SinkOutagePlan): Promise<SinkOutageResult> {
  await env.sink.request('reset');
  const origin = new URL(env.sinkUrl).origin;
  const host = await BenchHost.start({ storage: storageFor(env, 'azurite'), sink: env.sinkUrl, taskHubName: hubName(env, `outage${plan.schedules}`) });
  try {
    const started = await startSchedules(host.url, { prefix: 'outage', count: plan.schedules, every: '1s' }, plan.startDeadlineMs);
    const running = await caughtUp(env, Date.now() + INTERVAL_MS, started, Date.now() + plan.warmupBudgetMs);
    if (running < started) throw new Error(`only ${running} of ${started} schedules delivered before the outage`);
    const outage = await env.sink.request<{ from: number; until: number }>('outage', { status: 503, durationMs: plan.outageMs });
    env.say(`  sink answers 503 for ${plan.outageMs / 1000} s`);
    await sleep(outage.from + plan.outageMs / 2 - Date.now());
    const during = await sinkReport(host, origin);
    await sleep(outage.until - Date.now());
    const done = await caughtUp(env, outage.until + 2 * INTERVAL_MS, started, outage.until + plan.drainBudgetMs);
    const after = await sinkReport(host, origin);
    const report = await env.sink.request<OutageReport>('outageReport', { intervalMs: INTERVAL_MS });
    const drained = done >= started && report.drainedAt !== null;
    const drainS = drained && report.drainedAt !== null ? round((report.drainedAt - report.until) / 1000) : null;
    return {
      schedules: plan.schedules,
      started,
      outageS: round((report.until - report.from) / 1000, 1),
      recoveryS: report.firstOkAt === null ? null : round((report.firstOkAt - report.until) / 1000),
      resumedS: report.resumedMs === null ? null : { p50: round(report.resumedMs.p50 / 1000), max: round(report.resumedMs.max / 1000) },
      drainS,
      drainPerSecond: drainS !== null && drainS > 0 ? Math.round(report.drainReceived / drainS) : null,
      caughtUp: done,
      report,
      during,
      after,
    };
  } finally {
    await host.kill9();
  }
}
