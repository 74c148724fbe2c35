/**
 * Traces (OpenTelemetry): every delivery attempt is a span, and the event carries that span's W3C `traceparent`,
 * as the CloudEvents distributed-tracing extension and an HTTP header (as Knative propagates it), so a receiver
 * continues the trace.
 *
 * Spans are always made (the event gets a valid `traceparent` even when nothing is exported); they are exported
 * only when an OTLP endpoint is set (`OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`), by the
 * OTLP/HTTP exporter, which reads the other standard variables itself (headers, timeout, protocol paths).
 * `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES` name the service; `OTEL_BSP_*` tune the batches (read here: the
 * SDK does not); `OTEL_SDK_DISABLED=true` turns tracing off.
 */
import { context, trace, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  defaultResource,
  detectResources,
  resourceAttributesEnvDetector,
  resourceFromAttributes,
  serviceNameEnvDetector,
} from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace';

export const TRACER_NAME = 'durable-event-source';
const DEFAULT_SERVICE_NAME = 'durable-event-source';

type Env = Record<string, string | undefined>;

function set(env: Env, name: string): boolean {
  return (env[name] ?? '').trim() !== '';
}

/** Whether spans leave the process: only with an OTLP endpoint configured. */
export function otlpExportConfigured(env: Env): boolean {
  return set(env, 'OTEL_EXPORTER_OTLP_ENDPOINT') || set(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
}

/** An OTEL_* number setting as the specification reads it: a whole number, else ignored (the default applies). */
export function envInteger(text: string | undefined, min: number): number | undefined {
  const trimmed = (text ?? '').trim();
  if (!/^\d{1,15}$/.test(trimmed)) return undefined;
  const value = Number(trimmed);
  return value >= min ? value : undefined;
}

/** The batch processor's settings from the standard OTEL_BSP_* variables (the SDK does not read them itself). */
export function batchOptions(env: Env): { scheduledDelayMillis?: number; exportTimeoutMillis?: number; maxQueueSize?: number; maxExportBatchSize?: number } {
  const delay = envInteger(env.OTEL_BSP_SCHEDULE_DELAY, 0);
  const timeout = envInteger(env.OTEL_BSP_EXPORT_TIMEOUT, 1);
  const queue = envInteger(env.OTEL_BSP_MAX_QUEUE_SIZE, 1);
  const batch = envInteger(env.OTEL_BSP_MAX_EXPORT_BATCH_SIZE, 1);
  return {
    ...(delay !== undefined ? { scheduledDelayMillis: delay } : {}),
    ...(timeout !== undefined ? { exportTimeoutMillis: timeout } : {}),
    ...(queue !== undefined ? { maxQueueSize: queue } : {}),
    // The SDK requires a batch no larger than the queue.
    ...(batch !== undefined ? { maxExportBatchSize: Math.min(batch, queue ?? 2048) } : {}),
  };
}

interface TracingSetup {
  /** This call registered the process's tracer provider (false: one was there already, or tracing is off). */
  registered: boolean;
  /** Spans are exported over OTLP. */
  exporting: boolean;
  /** Sends the spans still batched (at a stop: the batch of the last seconds would be lost otherwise). */
  flush(): Promise<void>;
}

interface TracingOptions {
  env: Env;
  /** Extra processors (tests: an in-memory exporter). */
  spanProcessors?: SpanProcessor[];
}

/**
 * Registers the process's tracer provider, once: a process that already has one (a test's, or an embedder's, or an
 * earlier load of this app) keeps it, and the app's spans go there.
 */
export function setupTracing(options: TracingOptions): TracingSetup {
  const { env } = options;
  if ((env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true') return { registered: false, exporting: false, flush: nothingToFlush };
  const exporting = otlpExportConfigured(env);
  const processors = [...(options.spanProcessors ?? []), ...(exporting ? [new BatchSpanProcessor({ exporter: otlpExporter(), ...batchOptions(env) })] : [])];
  const detected = detectResources({ detectors: [resourceAttributesEnvDetector, serviceNameEnvDetector] });
  const resource = defaultResource().merge(resourceFromAttributes({ 'service.name': DEFAULT_SERVICE_NAME })).merge(detected);
  const provider = new TracerProvider({ resource, spanProcessors: processors });
  if (!trace.setGlobalTracerProvider(provider)) {
    void provider.shutdown();
    return { registered: false, exporting: false, flush: nothingToFlush };
  }
  // The span of an attempt is passed explicitly; a context manager lets an embedder's spans be their parents.
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  return { registered: true, exporting, flush: () => provider.forceFlush() };
}

async function nothingToFlush(): Promise<void> {}

const propagator = new W3CTraceContextPropagator();

/**
 * The W3C trace context headers of `span` (`traceparent`, and `tracestate` when there is one); empty when the span
 * is not a real one (tracing off).
 */
export function traceHeadersOf(span: Span): Record<string, string> {
  const headers: Record<string, string> = {};
  if (!trace.isSpanContextValid(span.spanContext())) return headers;
  propagator.inject(trace.setSpan(context.active(), span), headers, {
    set(_carrier, key, value) {
      headers[key] = value;
    },
  });
  return headers;
}

/** The OTLP/HTTP exporter, loaded only when exporting is on: it takes about 100 ms to load, on every start. */
function otlpExporter(): SpanExporter {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily, only when exporting is on (see above)
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
  return new OTLPTraceExporter();
}
