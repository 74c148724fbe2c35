/**
 * The delivery of one attempt of one tick, as the delivery activity runs it: the targets of the attempt (the
 * schedule's own sink and dead-letter sink, checked again, else the environment's), the pooled connections, the OIDC
 * token of the sink, the event's attributes, then sendTick; the outcome is counted (tick-report.ts).
 */
import type { EventSourceConfig } from '../config/config.js';
import type { EventOptions } from '../core/event.js';
import type { DeliveryResult } from '../core/schedule-state.js';
import type { Logger } from '../observability/logger.js';
import type { EventSourceMetrics } from '../observability/metrics.js';
import type { OverloadMonitor } from '../observability/overload.js';
import { reportTick } from '../observability/tick-report.js';
import { createDelivery, type Delivery } from './deliver.js';
import { createDispatcher } from './dispatcher.js';
import { sendTick } from './send-tick.js';
import type { SinkBreaker } from './sink-breaker.js';
import { createSinkTokens } from './sink-token.js';
import { targetsOf, type TickRequest } from './tick-request.js';

interface TickDeliveryServices {
  config: EventSourceConfig;
  logger: Logger;
  metrics: EventSourceMetrics;
  overload: OverloadMonitor;
  breaker: SinkBreaker;
}

/** The schedule's own event attributes, else the environment's. */
function eventOptions(request: TickRequest, config: EventSourceConfig): EventOptions {
  const own = request.event;
  if (own === undefined) return { type: config.ceType, source: config.ceSource, overrides: config.ceOverrides };
  return {
    type: own.type,
    source: own.source,
    overrides: own.extensions,
    ...(own.subject !== undefined ? { subject: own.subject } : {}),
    ...(own.data !== undefined ? { data: own.data } : {}),
    ...(own.dataBase64 !== undefined ? { dataBase64: own.dataBase64 } : {}),
    ...(own.contentType !== undefined ? { contentType: own.contentType } : {}),
  };
}

export function createTickDelivery(services: TickDeliveryServices): (request: TickRequest) => Promise<DeliveryResult> {
  const { config, logger, metrics, overload, breaker } = services;
  // The connection pools of the worker process, one per sink origin, bounded by SINK_MAX_CONNECTIONS and shared by
  // every schedule.
  const pools = createDispatcher({
    connectTimeoutMs: config.delivery.timeoutMs,
    connectionsPerOrigin: config.sinkMaxConnections,
    ...(config.caCerts ? { caCerts: config.caCerts } : {}),
  });
  // K_SINK's token only to K_SINK's origin; a schedule's own sink gets the token file it names, or none. Each file
  // is re-read before every attempt when it changed: Knative and Kubernetes rotate them.
  const tokenFor = createSinkTokens({ sink: config.sink, tokenFile: config.oidcTokenFile, tokensDir: config.sinkOidcTokensDir });
  const defaults = {
    sink: config.sink,
    timeoutMs: config.delivery.timeoutMs,
    allowlist: config.sinkAllowlist,
    ...(config.deadLetterSink ? { deadLetterSink: config.deadLetterSink } : {}),
  };
  /** A delivery costs nothing to make (it holds no connections: the pools do). */
  const deliveryTo = (sink: URL, timeoutMs: number, mode: 'binary' | 'structured'): Delivery =>
    createDelivery({ sink, mode, timeoutMs, dispatcher: pools });

  const attempt = async (request: TickRequest): Promise<DeliveryResult> => {
    const resolved = targetsOf(request, defaults);
    if (!resolved.ok) {
      logger.error({ schedule: request.scheduleName, sequence: request.sequence, reason: resolved.problem }, 'event delivery refused');
      return { ok: false, reason: resolved.problem, retryable: false };
    }
    const { sink, timeoutMs, deadLetterSink } = resolved.targets;
    const mode = request.event?.mode ?? config.ceMode;
    return sendTick(
      request,
      {
        delivery: deliveryTo(sink, timeoutMs, mode),
        ...(deadLetterSink ? { deadLetter: deliveryTo(deadLetterSink, timeoutMs, mode) } : {}),
        oidcToken: tokenFor(sink, request.oidcTokenFile),
        event: eventOptions(request, config),
        logger,
        metrics,
        breaker,
        // The orchestration's time (the host's clock, virtual under time skipping), as for the tick's report: a probe
        // interval measured on another clock than the retries' would hold ticks back for as long as it disagrees.
        now: () => (request.dispatchedAt !== undefined ? Date.parse(request.dispatchedAt) : Date.now()),
      },
      {
        lastAttempt: request.lastAttempt === true,
        ...(request.attempt !== undefined ? { attempt: request.attempt } : {}),
        ...(request.mayProbe === false ? { mayProbe: false } : {}),
      },
    );
  };
  return async (request) => {
    const result = await attempt(request);
    reportTick(metrics, overload, request, result);
    return result;
  };
}
