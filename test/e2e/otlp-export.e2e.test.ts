/**
 * Exporting traces: the app on the embedded host (a child process) with OTEL_EXPORTER_OTLP_ENDPOINT set posts its
 * spans (OTLP/HTTP JSON) to a collector on loopback, under the service name OTEL_SERVICE_NAME gives; each span is
 * the one whose trace context the sink received with the attempt.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { until, type HostProcess } from '../support/host-process.js';
import { RecordingSink } from '../support/recording-sink.js';
import { withScheduledHost } from '../support/scheduled-host.js';

interface OtlpAttribute {
  key: string;
  value: { stringValue?: string; intValue?: string | number };
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  name: string;
  attributes: OtlpAttribute[];
}
interface OtlpExport {
  resourceSpans: Array<{ resource: { attributes: OtlpAttribute[] }; scopeSpans: Array<{ spans: OtlpSpan[] }> }>;
}

test('at a stop the spans still batched are sent before the host exits (appTerminate flushes them)', { timeout: 90_000 }, async () => {
  // No batch would leave on its own while the test runs: only a flush sends them.
  await withExportingHost('otlp-stop', 'OtlpStop', { OTEL_BSP_SCHEDULE_DELAY: '600000' }, async ({ host, sink, collector }) => {
    await sink.waitFor(2, 30_000);
    assert.equal(exportsOf(collector).length, 0, 'nothing exported before the stop');
    await host.stop();
    const exported = new Set(exportedSpans(collector).map((span) => span.spanId));
    for (const attempt of sink.attempts) {
      const spanId = (attempt.traceparent ?? '').split('-')[2];
      assert.ok(spanId && exported.has(spanId), `the span of attempt ${attempt.traceparent} was sent at the stop`);
    }
  });
});

/** A loopback OTLP/HTTP collector: the test sink, answering `{}` to every export. */
async function startCollector(): Promise<RecordingSink> {
  const collector = await RecordingSink.answering();
  collector.answer = (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  return collector;
}

/** What was posted to the collector, parsed. */
function exportsOf(collector: RecordingSink): Array<{ path: string; body: OtlpExport }> {
  return collector.requests.map((request) => ({ path: request.url, body: JSON.parse(request.body) as OtlpExport }));
}

const attribute = (attributes: OtlpAttribute[], key: string): string | undefined => {
  const value = attributes.find((a) => a.key === key)?.value;
  return value?.stringValue ?? (value?.intValue !== undefined ? String(value.intValue) : undefined);
};

test('with OTEL_EXPORTER_OTLP_ENDPOINT the attempts\' spans reach the collector, under OTEL_SERVICE_NAME', { timeout: 90_000 }, async () => {
  const otel = { OTEL_SERVICE_NAME: 'event-source-under-test', OTEL_BSP_SCHEDULE_DELAY: '200' };
  await withExportingHost('otlp', 'Otlp', otel, async ({ sink, collector }) => {
    await sink.waitFor(3, 30_000);
    const spans = await until('three spans at the collector', () => {
      const all = exportedSpans(collector);
      return all.filter((s) => s.name === 'send default').length >= 3 ? all : undefined;
    }, 20_000);
    assert.ok(exportsOf(collector).every((e) => e.path === '/v1/traces'), 'OTLP/HTTP to <endpoint>/v1/traces');
    const services = new Set(exportsOf(collector).flatMap((e) => e.body.resourceSpans.map((r) => attribute(r.resource.attributes, 'service.name'))));
    assert.deepEqual([...services], ['event-source-under-test']);
    for (const attempt of sink.attempts.slice(0, 3)) {
      const [, traceId, spanId] = (attempt.traceparent ?? '').split('-');
      const span = spans.find((s) => s.spanId === spanId);
      assert.ok(span, `the span of the attempt with traceparent ${attempt.traceparent} was exported`);
      assert.equal(span.traceId, traceId);
      assert.equal(attribute(span.attributes, 'cloudevents.event_id'), attempt.id);
      assert.equal(attribute(span.attributes, 'http.response.status_code'), '200');
    }
  });
});

/**
 * The app on the embedded host (a child process) with a one-schedule setup posting to a loopback sink and exporting
 * to a loopback collector (plus `otel` settings); everything is stopped afterwards, the host's log shown on failure.
 */
async function withExportingHost(
  label: string,
  hub: string,
  otel: Record<string, string>,
  body: (parts: { host: HostProcess; sink: RecordingSink; collector: RecordingSink }) => Promise<void>,
): Promise<void> {
  const sink = new RecordingSink();
  const collector = await startCollector();
  try {
    const settings = (): Record<string, string> => ({ OTEL_EXPORTER_OTLP_ENDPOINT: collector.at().origin, ...otel });
    await withScheduledHost({ label, taskHubName: hub, sinks: [sink], settings }, (host) => body({ host, sink, collector }));
  } finally {
    await collector.stop();
  }
}

function exportedSpans(collector: RecordingSink): OtlpSpan[] {
  return exportsOf(collector).flatMap((e) => e.body.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((sp) => sp.spans)));
}
