import { SpanKind, SpanStatusCode, trace, type Span, type Tracer } from '@opentelemetry/api';
import type { CloudEvent } from 'cloudevents';
import type { Logger } from 'pino';
import { buildEvent, type EventOptions } from '../core/event.js';
import { recordAttempt, type EventSourceMetrics } from '../observability/metrics.js';
import { TRACER_NAME, traceHeadersOf } from '../observability/tracing.js';
import type { DeliveryResult, TickInput } from '../core/schedule-state.js';
import { deadLetterEvent, type LastFailure } from './dead-letter.js';
import type { Delivery, DeliveryOutcome } from './deliver.js';
import type { OidcTokenSource } from './oidc-token.js';
import { signalOf, type SinkBreaker } from './sink-breaker.js';

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

export interface SendOptions {
  /** This is the tick's last attempt: a failure of any kind ends it (to the dead-letter sink, if one is set). */
  lastAttempt?: boolean;
  /** Which attempt of the tick this is (a span attribute). */
  attempt?: number;
}

/**
 * One attempt to post one tick's CloudEvent, as the delivery activity makes it: reads the OIDC token, delivers, logs
 * the outcome. An OIDC token file that exists but cannot be used is a retryable failed attempt (nothing is sent).
 * Neither the token nor the Authorization header ever reaches a result or a log line.
 *
 * When the attempt fails for good (a non-retryable status, or any failure on the last attempt) and a dead-letter
 * sink is set, the event goes there (dead-letter.ts) and the result says `deadLettered`: the schedule counts it
 * and moves on. If the dead-letter sink does not take it either, the result is a retryable failure naming both, so
 * the tick is kept and tried again, as without a dead-letter sink. The OIDC token is not sent to the dead-letter
 * sink: it is issued for the sink's audience.
 */
export async function sendTick(tick: TickInput, sender: TickSender, options: SendOptions = {}): Promise<DeliveryResult> {
  const built = buildEvent(tick, sender.event);
  const fields = { schedule: tick.scheduleName, sequence: tick.sequence, id: built.id, scheduledTime: tick.scheduledTime };
  const span = attemptSpan(sender.tracer ?? trace.getTracer(TRACER_NAME), tick, built, options.attempt);
  // The attempt's trace context, as the CloudEvents distributed-tracing extension and as the W3C HTTP header.
  const traceHeaders = traceHeadersOf(span);
  const event = traceHeaders['traceparent'] === undefined ? built : built.cloneWith({ traceparent: traceHeaders['traceparent'] }, false);
  try {
    const origin = new URL(sender.delivery.destination).origin;
    const admission = sender.breaker?.admit(origin, (sender.now ?? Date.now)());
    if (admission !== undefined && !admission.send) {
      // Known down: answered at once, nothing sent; the tick keeps its attempts and comes back after a probe interval.
      const reason = `sink ${origin} is down since ${new Date(admission.since).toISOString()} (${admission.lastReason}); not sent`;
      span.setStatus({ code: SpanStatusCode.ERROR, message: reason });
      sender.logger.debug({ ...fields, reason }, 'event delivery deferred');
      return { ok: false, reason, retryable: true, sinkDown: true, sinkDownRetryMs: sender.breaker?.probeIntervalMs ?? 0 };
    }
    const outcome = await attempt(event, sender, fields, traceHeaders, span);
    if (outcome.ok) return outcome;
    const { durationMs: _duration, body, ...failed } = outcome;
    // A real attempt (a probe, or the failure that marked the origin down): a normal attempt that also says so.
    const result = sender.breaker?.isDown(origin) === true ? { ...failed, sinkDownRetryMs: sender.breaker?.probeIntervalMs ?? 0 } : failed;
    const final = !result.retryable || options.lastAttempt === true;
    if (!final || sender.deadLetter === undefined) return result;
    return await deadLetter(event, sender.deadLetter, sender, fields, { ...result, ...(body !== undefined ? { body } : {}) });
  } finally {
    span.end();
  }
}

/** Tells the breaker what a real attempt showed, and logs the origin going down or coming back. */
function breakerRecord(sender: TickSender, outcome: DeliveryOutcome): void {
  if (sender.breaker === undefined) return;
  const origin = new URL(sender.delivery.destination).origin;
  const transition = sender.breaker.record(origin, signalOf(outcome), (sender.now ?? Date.now)(), outcome.ok ? '' : outcome.reason);
  if (transition?.kind === 'down') {
    sender.logger.warn({ origin, reason: transition.reason }, 'sink down: attempts wait for a probe to succeed');
  } else if (transition?.kind === 'up') {
    sender.logger.info({ origin, downMs: transition.downMs }, 'sink up again');
  }
}

/** One attempt's span: the schedule, the sequence, the event, the attempt; its status is set by the outcome. */
function attemptSpan(tracer: Tracer, tick: TickInput, event: CloudEvent<unknown>, attemptNumber: number | undefined): Span {
  return tracer.startSpan(`send ${tick.scheduleName}`, {
    kind: SpanKind.PRODUCER,
    attributes: {
      'eventsource.schedule': tick.scheduleName,
      'eventsource.sequence': tick.sequence,
      'eventsource.scheduled_time': tick.scheduledTime,
      ...(attemptNumber !== undefined ? { 'eventsource.attempt': attemptNumber } : {}),
      ...(tick.trigger !== undefined ? { 'eventsource.trigger': tick.trigger } : {}),
      'cloudevents.event_id': event.id,
      'cloudevents.event_source': event.source,
      'cloudevents.event_type': event.type,
      'cloudevents.event_spec_version': event.specversion,
      'http.request.method': 'POST',
    },
  });
}

type Failure = Extract<DeliveryOutcome, { ok: false }>;

/** The attempt to the sink itself: token, POST, log line, metrics, span status. */
async function attempt(
  event: CloudEvent<unknown>,
  sender: TickSender,
  fields: Record<string, unknown>,
  traceHeaders: Record<string, string>,
  span: Span,
): Promise<{ ok: true; status: number } | Failure> {
  const schedule = String(fields['schedule']);
  const token = await sender.oidcToken.read();
  if (!token.ok) {
    sender.logger.warn({ ...fields, reason: token.reason, retryable: true }, 'event delivery failed');
    if (sender.metrics) recordAttempt(sender.metrics, schedule, undefined, undefined);
    span.setStatus({ code: SpanStatusCode.ERROR, message: token.reason });
    return { ok: false, reason: token.reason, retryable: true, durationMs: 0 };
  }
  const oidc = token.headers['authorization'] !== undefined;
  const outcome = await sender.delivery.deliver(event, { headers: { ...traceHeaders, ...token.headers } });
  breakerRecord(sender, outcome);
  if (sender.metrics) recordAttempt(sender.metrics, schedule, outcome.status, outcome.durationMs);
  if (outcome.status !== undefined) span.setAttribute('http.response.status_code', outcome.status);
  if (outcome.ok) {
    sender.logger.info({ ...fields, status: outcome.status, durationMs: outcome.durationMs, oidc }, 'event delivered');
    return { ok: true, status: outcome.status };
  }
  span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.reason });
  sender.logger.warn(
    { ...fields, status: outcome.status, reason: outcome.reason, retryable: outcome.retryable, durationMs: outcome.durationMs, oidc },
    'event delivery failed',
  );
  return outcome;
}

async function deadLetter(
  event: CloudEvent<unknown>,
  target: Delivery,
  sender: TickSender,
  fields: Record<string, unknown>,
  failure: LastFailure & { retryable: boolean; retryAfterMs?: number },
): Promise<DeliveryResult> {
  const letter = deadLetterEvent(event, sender.delivery.destination, failure);
  const outcome = await target.deliver(letter);
  const base = { ...(failure.status !== undefined ? { status: failure.status } : {}), reason: failure.reason };
  if (outcome.ok) {
    sender.logger.warn(
      { ...fields, ...base, deadLetterSink: target.destination, deadLetterStatus: outcome.status },
      'event dead-lettered',
    );
    return { ok: false, ...base, retryable: failure.retryable, deadLettered: true };
  }
  const reason = `${failure.reason}; the dead-letter sink failed too: ${outcome.reason}`;
  sender.logger.error({ ...fields, ...base, deadLetterSink: target.destination, deadLetterReason: outcome.reason }, 'event dead-lettering failed');
  return { ok: false, ...(failure.status !== undefined ? { status: failure.status } : {}), reason, retryable: true };
}
