/**
 * The process's tracer: spans are always made (so every event's log line carries a trace id), and exported over
 * OTLP/HTTP only when an endpoint is configured with the standard variables (OTEL_EXPORTER_OTLP_ENDPOINT or
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT; the exporter reads them and the other OTEL_EXPORTER_OTLP_* itself), unless
 * OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none says not to.
 */
import { BatchSpanProcessor, TracerProvider, type SpanExporter, type SpanProcessor } from '@opentelemetry/sdk-trace';
import { resourceFromAttributes } from '@opentelemetry/resources';

export function createTracerProvider(env: NodeJS.ProcessEnv): { provider: TracerProvider; exporting: boolean } {
  const configured = Boolean(env['OTEL_EXPORTER_OTLP_ENDPOINT'] || env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT']);
  const disabled = env['OTEL_SDK_DISABLED']?.trim().toLowerCase() === 'true' || env['OTEL_TRACES_EXPORTER']?.trim().toLowerCase() === 'none';
  const exporting = configured && !disabled;
  const spanProcessors: SpanProcessor[] = exporting ? [new BatchSpanProcessor({ exporter: otlpExporter() })] : [];
  const resource = resourceFromAttributes({ 'service.name': env['OTEL_SERVICE_NAME'] || 'hello-events' });
  return { provider: new TracerProvider({ resource, spanProcessors }), exporting };
}

/** Loaded only when exporting is on: the exporter takes about 100 ms to load, on every start. */
function otlpExporter(): SpanExporter {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded lazily, only when exporting is on (see above)
  const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
  return new OTLPTraceExporter();
}
