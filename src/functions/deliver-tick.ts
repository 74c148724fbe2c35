/** The delivery activity: one attempt to post one tick's CloudEvent to the sink (and, when it ends the tick, to the dead-letter sink). */
import * as df from 'durable-functions';
import type { ActivityHandler } from 'durable-functions';
import { createDelivery, type Delivery } from '../eventsource/delivery/deliver.js';
import { createDispatcher } from '../eventsource/delivery/dispatcher.js';
import { sendTick } from '../eventsource/delivery/send-tick.js';
import { createSinkTokens } from '../eventsource/delivery/sink-token.js';
import type { EventOptions } from '../eventsource/event.js';
import { targetsOf, type TickRequest } from '../eventsource/delivery/tick-request.js';
import type { DeliveryResult } from '../eventsource/schedule-state.js';
import { reportTick } from '../eventsource/tick-report.js';
import { DELIVERY_ACTIVITY } from './shared/names.js';
import { metrics, overload, sinkBreaker } from './shared/observability.js';
import { config, logger } from './shared/settings.js';

// The connection pools of the worker process, one per sink origin, bounded by SINK_MAX_CONNECTIONS and shared by
// every schedule.
const pools = createDispatcher({
  connectTimeoutMs: config.delivery.timeoutMs,
  connectionsPerOrigin: config.sinkMaxConnections,
  ...(config.caCerts ? { caCerts: config.caCerts } : {}),
});

// K_SINK's token only to K_SINK's origin; a schedule's own sink gets the token file it names, or none. Each file is
// re-read before every attempt when it changed: Knative and Kubernetes rotate them.
const tokenFor = createSinkTokens({ sink: config.sink, tokenFile: config.oidcTokenFile, tokensDir: config.sinkOidcTokensDir });

const defaults = {
  sink: config.sink,
  timeoutMs: config.delivery.timeoutMs,
  allowlist: config.sinkAllowlist,
  ...(config.deadLetterSink ? { deadLetterSink: config.deadLetterSink } : {}),
};

/** A delivery costs nothing to make (it holds no connections: the pools do). */
function deliveryTo(sink: URL, timeoutMs: number, mode: 'binary' | 'structured'): Delivery {
  return createDelivery({ sink, mode, timeoutMs, dispatcher: pools });
}

/** The schedule's own event attributes, else the environment's. */
function eventOptions(request: TickRequest): EventOptions {
  const own = request.event;
  if (own === undefined) return { type: config.ceType, source: config.ceSource, overrides: config.ceOverrides };
  return {
    type: own.type,
    source: own.source,
    overrides: own.extensions,
    ...(own.subject !== undefined ? { subject: own.subject } : {}),
    ...(own.data !== undefined ? { data: own.data } : {}),
  };
}

export const deliverTick: ActivityHandler = async (request: TickRequest): Promise<DeliveryResult> => {
  const result = await attempt(request);
  reportTick(metrics, overload, request, result);
  return result;
};

async function attempt(request: TickRequest): Promise<DeliveryResult> {
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
      event: eventOptions(request),
      logger,
      metrics,
      breaker: sinkBreaker,
      // The orchestration's time (the host's clock, virtual under time skipping), as for the tick's report: a probe
      // interval measured on another clock than the retries' would hold ticks back for as long as it disagrees.
      now: () => (request.dispatchedAt !== undefined ? Date.parse(request.dispatchedAt) : Date.now()),
    },
    { lastAttempt: request.lastAttempt === true, ...(request.attempt !== undefined ? { attempt: request.attempt } : {}) },
  );
}

df.app.activity(DELIVERY_ACTIVITY, { handler: deliverTick });
