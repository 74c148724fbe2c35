/**
 * Exporting traces: the app on the embedded host (a child process) with OTEL_EXPORTER_OTLP_ENDPOINT set posts its
 * spans (OTLP/HTTP JSON) to a collector on loopback, under the service name OTEL_SERVICE_NAME gives; each span is
 * the one whose trace context the sink received with the attempt.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { freePort, startAzurite, type RunningAzurite } from '../../src/host/storage/azurite.js';
import { HostProcess, scheduleSettings, until } from '../support/host-process.js';
import { RecordingSink } from '../support/recording-sink.js';

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
    assert.equal(collector.exports.length, 0, 'nothing exported before the stop');
    await host.stop();
    const exported = new Set(exportedSpans(collector).map((span) => span.spanId));
    for (const attempt of sink.attempts) {
      const spanId = (attempt.traceparent ?? '').split('-')[2];
      assert.ok(spanId && exported.has(spanId), `the span of attempt ${attempt.traceparent} was sent at the stop`);
    }
  });
});

/** A loopback OTLP/HTTP collector: keeps what is posted to /v1/traces. */
async function startCollector(): Promise<{ server: Server; url: string; exports: Array<{ path: string; body: OtlpExport }> }> {
  const exports: Array<{ path: string; body: OtlpExport }> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      exports.push({ path: req.url ?? '', body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as OtlpExport });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, exports };
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
    assert.ok(collector.exports.every((e) => e.path === '/v1/traces'), 'OTLP/HTTP to <endpoint>/v1/traces');
    const services = new Set(collector.exports.flatMap((e) => e.body.resourceSpans.map((r) => attribute(r.resource.attributes, 'service.name'))));
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

type Collector = Awaited<ReturnType<typeof startCollector>>;

/**
 * The app on the embedded host (a child process) with a one-schedule setup posting to a loopback sink and exporting
 * to a loopback collector (plus `otel` settings); everything is stopped afterwards, the host's log shown on failure.
 */
async function withExportingHost(
  label: string,
  hub: string,
  otel: Record<string, string>,
  body: (parts: { host: HostProcess; sink: RecordingSink; collector: Collector }) => Promise<void>,
): Promise<void> {
  let azurite: RunningAzurite | undefined;
  let host: HostProcess | undefined;
  const sink = new RecordingSink();
  const collector = await startCollector();
  try {
    azurite = await startAzurite();
    await sink.start();
    host = await HostProcess.start({
      port: await freePort(),
      label,
      env: scheduleSettings(azurite.connectionString, sink.url, hub, { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, ...otel }),
    });
    await body({ host, sink, collector });
  } catch (error) {
    if (host) console.error(host.tail(40));
    throw error;
  } finally {
    await host?.dispose();
    await sink.stop();
    await azurite?.stop();
    collector.server.closeAllConnections();
    await new Promise<void>((resolve) => collector.server.close(() => resolve()));
  }
}

function exportedSpans(collector: Collector): OtlpSpan[] {
  return collector.exports.flatMap((e) => e.body.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((sp) => sp.spans)));
}
