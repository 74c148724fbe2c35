/**
 * Continuing the sender's trace (W3C Trace Context): the HTTP `traceparent`/`tracestate` headers first (what an
 * instrumented HTTP client or a Knative broker sets), else the event's own `traceparent`/`tracestate` extension
 * attributes (the CloudEvents distributed-tracing extension, which survives hops that drop HTTP headers).
 * Every received event gets a CONSUMER span, child of that context (or the root of a new trace when none came).
 */
import type { IncomingHttpHeaders } from 'node:http';
import { ROOT_CONTEXT, SpanKind, trace, type Context, type Span, type TextMapGetter, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { stringAttribute, type ReceivedEvent } from './received-event.js';

interface Carrier {
  readonly traceparent?: string | undefined;
  readonly tracestate?: string | undefined;
}

const propagator = new W3CTraceContextPropagator();
const getter: TextMapGetter<Carrier> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => (key === 'traceparent' || key === 'tracestate' ? carrier[key] : undefined),
};

/** The context the event's span continues: the first valid traceparent of header and extension, else none. */
export function incomingContext(headers: IncomingHttpHeaders, event: ReceivedEvent): Context {
  return (
    extract({ traceparent: single(headers['traceparent']), tracestate: single(headers['tracestate']) }) ??
    extract({ traceparent: stringAttribute(event, 'traceparent'), tracestate: stringAttribute(event, 'tracestate') }) ??
    ROOT_CONTEXT
  );
}

/** A span named as the CloudEvents semantic conventions name the processing of an event. */
export function startEventSpan(tracer: Tracer, parent: Context, event: ReceivedEvent, duplicate: boolean): Span {
  const attributes: Record<string, string | boolean> = {
    'cloudevents.event_id': String(event.attributes['id']),
    'cloudevents.event_source': String(event.attributes['source']),
    'cloudevents.event_spec_version': String(event.attributes['specversion']),
    'cloudevents.event_type': String(event.attributes['type']),
    'hello_events.duplicate': duplicate,
  };
  const subject = stringAttribute(event, 'subject');
  if (subject !== undefined) attributes['cloudevents.event_subject'] = subject;
  return tracer.startSpan(`CloudEvents Process ${String(event.attributes['type'])}`, { kind: SpanKind.CONSUMER, attributes }, parent);
}

/** The ids for the log line (the field names pino's OpenTelemetry instrumentation uses), or none without a trace. */
export function traceFields(span: Span): { trace_id?: string; span_id?: string; trace_flags?: string } {
  const context = span.spanContext();
  if (!trace.isSpanContextValid(context)) return {};
  return { trace_id: context.traceId, span_id: context.spanId, trace_flags: `0${context.traceFlags.toString(16)}`.slice(-2) };
}

function extract(carrier: Carrier): Context | undefined {
  if (carrier.traceparent === undefined) return undefined;
  const context = propagator.extract(ROOT_CONTEXT, carrier, getter);
  return trace.getSpanContext(context) === undefined ? undefined : context;
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
