import { trace, INVALID_SPAN_CONTEXT, type Tracer } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { buildEvent, type EventOptions } from '../core/event.js';
import type { EventSourceMetrics } from '../observability/metrics.js';
import { TRACER_NAME } from '../observability/tracing.js';
import type { DeliveryResult, TickInput } from '../core/schedule-state.js';
import type { Delivery } from './deliver.js';
import type { OidcTokenSource } from './oidc-token.js';
import type { SinkBreaker } from './sink-breaker.js';
import { compose, type AttemptOutcome, type Layer } from './layers/attempt.js';
import { authLayer } from './layers/auth.js';
import { deadLetterLayer } from './layers/dead-letter.js';
import { observeLayer } from './layers/observe.js';
import { postTo } from './layers/post.js';
import { admitLayer, recordLayer } from './layers/sink-breaker.js';
import { traceLayer } from './layers/trace.js';

export interface TickSender {
  delivery: Delivery;
  /** The dead-letter sink (the schedule's, else DEAD_LETTER_SINK); absent: a tick whose attempts ran out is kept. */
  deadLetter?: Delivery;
  /** The OIDC token file, re-read before each attempt (Knative `authentication-oidc`). */
  oidcToken: OidcTokenSource;
  event: EventOptions;
  logger: Logger;
  /** Counts the attempt (eventsource_delivery_attempts_total, eventsource_delivery_duration_seconds). */
  metrics?: EventSourceMetrics;
  /** Default: the process's tracer provider's (a no-op one when tracing is not set up). */
  tracer?: Tracer;
  /** What the worker knows of the sink's origin, shared by every schedule (absent: every attempt posts). */
  breaker?: SinkBreaker;
  /** The breaker's clock (epoch ms); default Date.now. */
  now?: () => number;
}

interface SendOptions {
  /** This is the tick's last attempt: a failure of any kind ends it (to the dead-letter sink, if one is set). */
  lastAttempt?: boolean;
  /** Which attempt of the tick this is (a span attribute). */
  attempt?: number;
  /** false: while the sink is down this attempt is not sent, not even as the breaker's probe. */
  mayProbe?: boolean;
}

/**
 * One attempt to post one tick's CloudEvent, as the delivery activity makes it: the layers of delivery/layers, in
 * the order of an attempt: its span and trace context (trace.ts), the dead-letter sink for a failure that ends the
 * tick (dead-letter.ts), the sink breaker's admission (sink-breaker.ts), the OIDC token (auth.ts), the metrics and
 * log line of what was sent (observe.ts), the breaker's record of it, and the POST (post.ts).
 */
export async function sendTick(tick: TickInput, sender: TickSender, options: SendOptions = {}): Promise<DeliveryResult> {
  const event = buildEvent(tick, sender.event);
  const send = compose(attemptLayers(sender, options), postTo(sender.delivery));
  const outcome = await send({
    tick,
    event,
    fields: { schedule: tick.scheduleName, sequence: tick.sequence, id: event.id, scheduledTime: tick.scheduledTime },
    headers: {},
    span: trace.wrapSpanContext(INVALID_SPAN_CONTEXT),
    lastAttempt: options.lastAttempt === true,
  });
  return resultOf(outcome);
}

/** The layers of one attempt, outermost first; those of an absent dead-letter sink or breaker are left out. */
function attemptLayers(sender: TickSender, options: SendOptions): Layer[] {
  const origin = new URL(sender.delivery.destination).origin;
  const breaker = sender.breaker && { breaker: sender.breaker, origin, logger: sender.logger, now: sender.now ?? Date.now };
  return [
    traceLayer(sender.tracer ?? trace.getTracer(TRACER_NAME), options.attempt),
    ...(sender.deadLetter ? [deadLetterLayer(sender.deadLetter, sender.delivery.destination, sender.logger)] : []),
    ...(breaker ? [admitLayer(breaker, options.mayProbe !== false)] : []),
    authLayer(sender.oidcToken, sender.logger, sender.metrics),
    observeLayer(sender.logger, sender.metrics),
    ...(breaker ? [recordLayer(breaker)] : []),
  ];
}

/** The result the orchestration records: without the duration and the failure body the layers used. */
function resultOf(outcome: AttemptOutcome): DeliveryResult {
  if (outcome.ok) return { ok: true, status: outcome.status };
  const { durationMs: _duration, body: _body, ...result } = outcome;
  return result;
}
