/**
 * The event source's Prometheus metrics (prom-client), in prom-client's default registry so that one endpoint
 * (`GET /api/metrics`) serves them next to whatever else registers there (the embedded host's `durable_*`).
 *
 * Each metric is created once per registry: a process may load the app more than once (tests start several hosts
 * in one process), and a second `new Counter` with the same name would throw. The schedule name is the only
 * per-schedule label; a sink's origin (scheme, host, port: no credentials, path or query) labels the sink metrics.
 */
import { Counter, Gauge, Histogram, register, type Metric } from 'prom-client';

export const TICK_OUTCOMES = ['delivered', 'rejected', 'failed', 'dead_lettered', 'skipped'] as const;
export type TickOutcome = (typeof TICK_OUTCOMES)[number];

const SCHEDULE_STATES = ['running', 'paused', 'failed', 'completed'] as const;
export type ScheduleStateLabel = (typeof SCHEDULE_STATES)[number];

/** From 1 ms to 60 s: an on-time tick is a few ms late, an overloaded host seconds to a minute. */
export const LATENESS_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** One POST to a sink: loopback in a millisecond, a slow sink up to DELIVERY_TIMEOUT (10 s by default). */
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

function once<M extends Metric<string>>(name: string, create: () => M): M {
  return (register.getSingleMetric(name) as M | undefined) ?? create();
}

export interface EventSourceMetrics {
  ticks: Counter<'schedule' | 'outcome'>;
  lateness: Histogram<'schedule'>;
  attempts: Counter<'schedule' | 'status'>;
  duration: Histogram<string>;
  schedules: Gauge<'state'>;
  sinkUp: Gauge<'origin'>;
  sinkDownSeconds: Counter<'origin'>;
}

/** What the sink breaker knows of each origin it has seen (delivery/sink-breaker.ts downTotals). */
type SinkStates = () => Array<{ origin: string; up: boolean; downMs: number }>;

let sinkStates: SinkStates = () => [];
/** Down time already added to the counter, per origin (ms). */
const reportedDownMs = new Map<string, number>();

/** Where the sink metrics are read from when scraped (the worker's breaker). */
export function watchSinks(states: SinkStates): void {
  sinkStates = states;
}

/** Brings both sink metrics up to date (either one's scrape calls it; the counter only takes what it lacks). */
function collectSinks(): void {
  const sinkUp = register.getSingleMetric('eventsource_sink_up') as Gauge<'origin'> | undefined;
  const sinkDownSeconds = register.getSingleMetric('eventsource_sink_down_seconds_total') as Counter<'origin'> | undefined;
  for (const { origin, up, downMs } of sinkStates()) {
    sinkUp?.set({ origin }, up ? 1 : 0);
    const delta = downMs - (reportedDownMs.get(origin) ?? 0);
    if (delta > 0) sinkDownSeconds?.inc({ origin }, delta / 1000);
    reportedDownMs.set(origin, Math.max(downMs, reportedDownMs.get(origin) ?? 0));
  }
}

/** The metrics, created on first use in this registry (and found there afterwards). */
export function eventSourceMetrics(): EventSourceMetrics {
  return {
    ticks: once('eventsource_ticks_total', () => new Counter({
      name: 'eventsource_ticks_total',
      help: 'Ticks by how they ended: delivered, rejected (a 4xx the sink refused for good), failed (attempts ran out, kept and retried later), dead_lettered, skipped (catch-up or overlap policy)',
      labelNames: ['schedule', 'outcome'] as const,
    })),
    lateness: once('eventsource_tick_lateness_seconds', () => new Histogram({
      name: 'eventsource_tick_lateness_seconds',
      help: 'How late a tick was sent: the time its first attempt was dispatched minus its scheduled time',
      labelNames: ['schedule'] as const,
      buckets: LATENESS_BUCKETS,
    })),
    attempts: once('eventsource_delivery_attempts_total', () => new Counter({
      name: 'eventsource_delivery_attempts_total',
      help: 'Delivery attempts to a sink, by the HTTP status answered (error: no response, e.g. a timeout or a refused connection)',
      labelNames: ['schedule', 'status'] as const,
    })),
    duration: once('eventsource_delivery_duration_seconds', () => new Histogram({
      name: 'eventsource_delivery_duration_seconds',
      help: 'Duration of one delivery attempt to a sink (connect, send, response)',
      buckets: DURATION_BUCKETS,
    })),
    schedules: once('eventsource_schedules', () => new Gauge({
      name: 'eventsource_schedules',
      help: 'Schedules by state, as the management API lists them (counted when scraped)',
      labelNames: ['state'] as const,
    })),
    sinkUp: once('eventsource_sink_up', () => new Gauge({
      name: 'eventsource_sink_up',
      help: 'Whether the worker takes a sink origin as up (1) or down (0, attempts wait for a probe to succeed), per origin it has posted to',
      labelNames: ['origin'] as const,
      collect: collectSinks,
    })),
    sinkDownSeconds: once('eventsource_sink_down_seconds_total', () => new Counter({
      name: 'eventsource_sink_down_seconds_total',
      help: 'Seconds a sink origin was down, as the worker saw it (counted up while it is down)',
      labelNames: ['origin'] as const,
      collect: collectSinks,
    })),
  };
}

/** What one delivery attempt adds: the attempt (with its duration when a request was made). */
export function recordAttempt(metrics: EventSourceMetrics, schedule: string, status: number | undefined, durationMs: number | undefined): void {
  metrics.attempts.inc({ schedule, status: status === undefined ? 'error' : String(status) });
  if (durationMs !== undefined) metrics.duration.observe(durationMs / 1000);
}

/** Sets the schedules gauge to `counts` (every state present, zero where none). */
export function setScheduleCounts(metrics: EventSourceMetrics, counts: Partial<Record<ScheduleStateLabel, number>>): void {
  for (const state of SCHEDULE_STATES) metrics.schedules.set({ state }, counts[state] ?? 0);
}
