/**
 * The attempt's span (a PRODUCER span named for the schedule) and its trace context: as the CloudEvents
 * distributed-tracing extension `traceparent` on the event, and as the W3C HTTP headers of the POST. Spans are always
 * made, so the event carries a valid traceparent even when nothing is exported.
 */
import { SpanKind, type Span, type Tracer } from '@opentelemetry/api';
import type { CloudEvent } from 'cloudevents';
import type { TickInput } from '../../core/schedule-state.js';
import { traceHeadersOf } from '../../observability/tracing.js';
import type { Layer } from './attempt.js';

export function traceLayer(tracer: Tracer, attemptNumber: number | undefined): Layer {
  return (next) => async (attempt) => {
    const span = attemptSpan(tracer, attempt.tick, attempt.event, attemptNumber);
    const headers = traceHeadersOf(span);
    const traceparent = headers['traceparent'];
    const event = traceparent === undefined ? attempt.event : attempt.event.cloneWith({ traceparent }, false);
    try {
      return await next({ ...attempt, event, span, headers: { ...attempt.headers, ...headers } });
    } finally {
      span.end();
    }
  };
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
