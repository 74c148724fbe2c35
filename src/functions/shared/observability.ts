/**
 * The app's metrics, traces and overload monitor, set up once when the worker loads the functions: the delivery
 * activity feeds them, `/api/metrics` and `/api/healthz` read them.
 */
import { app } from '@azure/functions';
import { SinkBreaker } from '../../eventsource/delivery/sink-breaker.js';
import { eventSourceMetrics, watchSinks, type EventSourceMetrics } from '../../eventsource/observability/metrics.js';
import { OverloadMonitor } from '../../eventsource/observability/overload.js';
import { setupTracing } from '../../eventsource/observability/tracing.js';
import { config, logger } from './settings.js';

const tracing = setupTracing({ env: process.env });
if (tracing.exporting) {
  logger.info('traces are exported over OTLP');
  // The exporter sends in batches: at a stop, the spans of the last seconds go out before the worker ends.
  app.hook.appTerminate(() => tracing.flush());
}

export const metrics: EventSourceMetrics = eventSourceMetrics();

/** What the worker knows of each sink origin, shared by every schedule's deliveries; healthz and the metrics read it. */
export const sinkBreaker = new SinkBreaker(config.sinkProbeIntervalMs);
watchSinks(() => sinkBreaker.downTotals(Date.now()));

export const overload = new OverloadMonitor({
  thresholdMs: config.lateTickThresholdMs,
  intervalMs: config.overloadLogIntervalMs,
  logger,
});
