/** When hello-events exports spans: only with an OTLP endpoint configured, and never when the standard switches say not to. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { createTracerProvider } from '../../src/hello-events/tracing-setup.js';

it('exports only with an OTLP endpoint, unless OTEL_SDK_DISABLED or OTEL_TRACES_EXPORTER=none', async () => {
  const endpoint = 'http://127.0.0.1:4318';
  const cases: Array<[NodeJS.ProcessEnv, boolean]> = [
    [{}, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint }, true],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${endpoint}/v1/traces` }, true],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: '' }, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_SDK_DISABLED: 'TRUE' }, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_TRACES_EXPORTER: 'none' }, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_SDK_DISABLED: 'false' }, true],
  ];
  for (const [env, expected] of cases) {
    const { provider, exporting } = createTracerProvider(env);
    assert.equal(exporting, expected, JSON.stringify(env));
    if (!exporting) {
      // Spans are made even so, so that the log line always has a trace id (trace.int.test.ts sees an exporting run).
      const span = provider.getTracer('t').startSpan('s');
      assert.match(span.spanContext().traceId, /^(?!0{32})[0-9a-f]{32}$/);
      span.end();
    }
    await provider.shutdown();
  }
});
