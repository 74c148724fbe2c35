/**
 * hello-events continues the sender's trace (W3C Trace Context): the HTTP traceparent header first, else the event's
 * traceparent extension attribute. Each received event gets a CONSUMER span, child of the incoming span, seen here
 * through an in-memory exporter; its trace id is on the event's log line. main.js exports over OTLP/HTTP to the
 * endpoint OTEL_EXPORTER_OTLP_ENDPOINT names, and only then.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { once } from 'node:events';
import { spawn } from 'node:child_process';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { freePort } from '../../src/host/storage/azurite.js';
import { RecordingSink } from '../support/recording-sink.js';
import { startReceiver, type Receiver } from './support/receiver.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';
const OTHER_TRACE = '0af7651916cd43dd8448eb211c80319c';
const OTHER_PARENT = 'b7ad6b7169203331';
const traceparent = (traceId: string, spanId: string): string => `00-${traceId}-${spanId}-01`;

describe('hello-events: trace continuation', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  let receiver: Receiver;
  let next = 0;

  before(async () => {
    receiver = await startReceiver({ tracer: provider.getTracer('hello-events-test') });
  });
  after(async () => {
    await receiver.close();
    await provider.shutdown();
  });
  beforeEach(() => exporter.reset());

  /** Posts a structured event with `extension` attributes and HTTP `headers`; returns its log line and its span. */
  async function receive(headers: Record<string, string>, extension: Record<string, string> = {}): Promise<{ line: Record<string, unknown>; span: ReadableSpan }> {
    const id = `trace-${++next}`;
    exporter.reset();
    const before = receiver.records().length;
    const body = JSON.stringify({ specversion: '1.0', id, source: '/trace', type: 'dev.example.traced', ...extension });
    const reply = await receiver.post({ 'content-type': 'application/cloudevents+json', ...headers }, body);
    assert.equal(reply.status, 200, reply.text);
    const [line] = receiver.records().slice(before);
    const spans = exporter.getFinishedSpans();
    assert.equal(spans.length, 1);
    assert.ok(line && spans[0]);
    return { line, span: spans[0] };
  }

  it('the HTTP traceparent header: the logged trace id and the span continue it, as a child of its span', async () => {
    const { line, span } = await receive({ traceparent: traceparent(TRACE, PARENT), tracestate: 'vendor=opaque' });
    assert.equal(line['trace_id'], TRACE);
    assert.equal(span.spanContext().traceId, TRACE);
    assert.equal(span.parentSpanContext?.spanId, PARENT);
    assert.equal(span.parentSpanContext?.isRemote, true);
    assert.equal(line['span_id'], span.spanContext().spanId);
    assert.notEqual(span.spanContext().spanId, PARENT);
    assert.equal(span.spanContext().traceState?.serialize(), 'vendor=opaque');
    assert.equal(span.kind, SpanKind.CONSUMER);
    assert.equal(span.name, 'CloudEvents Process dev.example.traced');
    assert.equal(span.attributes['cloudevents.event_source'], '/trace');
    assert.equal(span.attributes['cloudevents.event_id'], line['event'] && (line['event'] as Record<string, unknown>)['id']);
  });

  it('without the header, the event\'s traceparent extension (distributed-tracing extension) is continued', async () => {
    const { line, span } = await receive({}, { traceparent: traceparent(OTHER_TRACE, OTHER_PARENT) });
    assert.equal(line['trace_id'], OTHER_TRACE);
    assert.equal(span.spanContext().traceId, OTHER_TRACE);
    assert.equal(span.parentSpanContext?.spanId, OTHER_PARENT);
  });

  it('the header wins over the extension; an invalid header falls back to the extension', async () => {
    const both = await receive({ traceparent: traceparent(TRACE, PARENT) }, { traceparent: traceparent(OTHER_TRACE, OTHER_PARENT) });
    assert.equal(both.span.spanContext().traceId, TRACE);
    const invalid = await receive({ traceparent: '00-not-a-trace-01' }, { traceparent: traceparent(OTHER_TRACE, OTHER_PARENT) });
    assert.equal(invalid.span.spanContext().traceId, OTHER_TRACE);
    assert.equal(invalid.line['trace_id'], OTHER_TRACE);
  });

  it('no incoming context: a new trace whose root span\'s id is logged', async () => {
    const { line, span } = await receive({});
    assert.equal(span.parentSpanContext, undefined);
    assert.match(String(line['trace_id']), /^[0-9a-f]{32}$/);
    assert.equal(line['trace_id'], span.spanContext().traceId);
  });

  it('binary mode: ce-traceparent is the extension; each event of a batch continues its own', async () => {
    const before = receiver.records().length;
    const binary = await receiver.post({ 'ce-specversion': '1.0', 'ce-id': 'bin-trace', 'ce-source': '/trace', 'ce-type': 't', 'ce-traceparent': traceparent(TRACE, PARENT) });
    assert.equal(binary.status, 200);
    const batch = [OTHER_PARENT, PARENT].map((parent, index) => ({ specversion: '1.0', id: `batch-trace-${index}`, source: '/trace', type: 't', traceparent: traceparent(OTHER_TRACE, parent) }));
    assert.equal((await receiver.post({ 'content-type': 'application/cloudevents-batch+json' }, JSON.stringify(batch))).status, 200);
    const spans = exporter.getFinishedSpans();
    assert.deepEqual(
      spans.map((span) => [span.spanContext().traceId, span.parentSpanContext?.spanId]),
      [[TRACE, PARENT], [OTHER_TRACE, OTHER_PARENT], [OTHER_TRACE, PARENT]],
    );
    assert.deepEqual(receiver.records().slice(before).map((line) => line['trace_id']), [TRACE, OTHER_TRACE, OTHER_TRACE]);
  });

  it('a duplicate gets a span too, marked as one, and its trace id on the duplicate line', async () => {
    const body = JSON.stringify({ specversion: '1.0', id: 'dup-trace', source: '/trace', type: 't' });
    await receiver.post({ 'content-type': 'application/cloudevents+json' }, body);
    const before = receiver.records().length;
    await receiver.post({ 'content-type': 'application/cloudevents+json', traceparent: traceparent(TRACE, PARENT) }, body);
    const [line] = receiver.records().slice(before);
    assert.equal(line?.['duplicate'], true);
    assert.equal(line?.['trace_id'], TRACE);
    const spans = exporter.getFinishedSpans();
    assert.deepEqual(spans.map((span) => span.attributes['hello_events.duplicate']), [false, true]);
  });
});

it('main.js exports its spans over OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT (flushed on SIGTERM)', { timeout: 30_000 }, async () => {
  const collector = await RecordingSink.answering();
  collector.answer = (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  const port = await freePort();
  const child = spawn(process.execPath, [path.resolve(__dirname, '../../src/hello-events/main.js')], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.at().origin,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    let stdout = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString('utf8');
        if (stdout.includes('hello-events listening')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`main.js exited early with ${code}: ${stdout}`)));
    });
    assert.match(stdout, /"exportingTraces":true/);
    const reply = await fetch(`http://127.0.0.1:${port}/`, {
      method: 'POST',
      headers: { 'ce-specversion': '1.0', 'ce-id': 'otlp-1', 'ce-source': '/otlp', 'ce-type': 't', traceparent: traceparent(TRACE, PARENT) },
    });
    assert.equal(reply.status, 200);
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
    assert.equal(child.exitCode, 0);
    assert.match(stdout, new RegExp(`"trace_id":"${TRACE}"`));
    const sent = collector.requests.map((r) => `${r.method} ${r.url} ${r.headers['content-type']}\n${r.body}`).join('\n');
    assert.match(sent, /^POST \/v1\/traces /);
    assert.ok(sent.includes(TRACE), sent.slice(0, 500));
    assert.ok(sent.includes(PARENT), sent.slice(0, 500));
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await collector.stop();
  }
});
