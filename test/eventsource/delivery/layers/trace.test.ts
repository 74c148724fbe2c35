import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { traceLayer } from '../../../../src/eventsource/delivery/layers/trace.js';
import { answering, attemptOf } from './support.js';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;

test('trace: the attempt runs in its own span, whose context rides on the event and in the headers; the span ends after', async () => {
  const exporter = new InMemorySpanExporter();
  const tracer = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }).getTracer('test');
  const next = answering({ ok: true, status: 200 });
  const attempt = attemptOf({ headers: { other: 'kept' } });
  await traceLayer(tracer, 2)(next)(attempt);

  const seen = next.seen[0]!;
  const header = seen.headers['traceparent'] ?? '';
  assert.match(header, TRACEPARENT);
  assert.equal(seen.event['traceparent'], header, 'the CloudEvents extension is the header');
  assert.equal(seen.headers['other'], 'kept');
  assert.equal(seen.event.id, attempt.event.id, 'the event id is the tick\'s, whatever the attempt');
  assert.equal(attempt.event['traceparent'], undefined, 'the event given is not changed');
  const [span] = exporter.getFinishedSpans();
  assert.equal(span?.name, 'send nightly');
  assert.equal(span?.kind, SpanKind.PRODUCER);
  assert.equal(span?.attributes['eventsource.attempt'], 2);
  assert.equal(span?.attributes['cloudevents.event_id'], attempt.event.id);
  assert.equal(TRACEPARENT.exec(header)?.[2], span?.spanContext().spanId);
});

test('trace: the span ends even when a layer inside throws', async () => {
  const exporter = new InMemorySpanExporter();
  const tracer = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }).getTracer('test');
  await assert.rejects(traceLayer(tracer, undefined)(() => Promise.reject(new Error('boom')))(attemptOf()), /boom/);
  assert.equal(exporter.getFinishedSpans().length, 1);
});
