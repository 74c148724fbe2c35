/**
 * What one delivery attempt leaves behind against a real loopback sink: a span (schedule, sequence, event id,
 * attempt, HTTP status) in an in-memory exporter, the same trace context on the request (the W3C `traceparent`
 * header and the CloudEvents `traceparent` extension), and the attempt in the metrics. The event id is the same on
 * every attempt; the trace context is each attempt's own.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { HTTP } from 'cloudevents';
import pino from 'pino';
import { Registry, register } from 'prom-client';
import { createDelivery, type Delivery } from '../../../src/eventsource/delivery/deliver.js';
import { createDispatcher } from '../../../src/eventsource/delivery/dispatcher.js';
import { createOidcTokenSource } from '../../../src/eventsource/delivery/oidc-token.js';
import { sendTick, type TickSender } from '../../../src/eventsource/delivery/send-tick.js';
import { eventId } from '../../../src/eventsource/core/event.js';
import { eventSourceMetrics } from '../../../src/eventsource/observability/metrics.js';
import type { TickInput } from '../../../src/eventsource/core/schedule-state.js';
import { tickOutcomeOf } from '../../../src/eventsource/observability/tick-report.js';
import { freePort } from '../../../src/host/storage/azurite.js';
import { RecordingSink, type RecordedRequest } from '../../support/recording-sink.js';

const tick: TickInput = { scheduleName: 'nightly', generation: '2030-01-01T00:00:00.000Z', sequence: 4, scheduledTime: '2030-01-01T02:30:00.000Z' };
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;

async function metricValue(name: string, labels: Record<string, string>): Promise<number> {
  const metric = await register.getSingleMetric(name)?.get();
  const found = metric?.values.find((v) => Object.entries(labels).every(([k, value]) => String(v.labels[k]) === value) && (v as { metricName?: string }).metricName !== `${name}_sum`);
  return found?.value ?? 0;
}

describe('the telemetry of a delivery attempt', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const tracer = provider.getTracer('test');
  const metrics = eventSourceMetrics();
  const pools = createDispatcher({ connectTimeoutMs: 2_000 });
  const deliveries: Delivery[] = [];
  let sink: RecordingSink;
  const sender = (target: URL, mode: 'binary' | 'structured' = 'binary'): TickSender => {
    const delivery = createDelivery({ sink: target, mode, timeoutMs: 2_000, dispatcher: pools });
    deliveries.push(delivery);
    return {
      delivery,
      oidcToken: createOidcTokenSource('/nonexistent/oidc/token'),
      event: { type: 'com.hello.cron-event', source: 'urn:hello-com:cron-source', overrides: {} },
      logger: pino({ level: 'silent' }),
      metrics,
      tracer,
    };
  };

  before(async () => {
    sink = await RecordingSink.answering();
  });
  beforeEach(() => {
    exporter.reset();
    sink.requests.length = 0;
  });
  after(async () => {
    for (const delivery of deliveries) await delivery.close();
    await pools.close();
    await sink.stop();
    await provider.shutdown();
  });

  it('registers its metrics once per registry: a second load of the app finds them', () => {
    assert.equal(eventSourceMetrics().ticks, metrics.ticks);
    assert.ok(register.getSingleMetric('eventsource_tick_lateness_seconds'));
    assert.ok(!new Registry().getSingleMetric('eventsource_ticks_total'), 'the default registry, not a private one');
  });

  for (const mode of ['binary', 'structured'] as const) {
    it(`${mode}: three attempts (500, 500, 200) are three spans; each request carries its own span's traceparent as header and as extension, with one event id`, async () => {
      const answers = [500, 500, 200];
      sink.answer = (_req, res) => res.writeHead(answers.shift() ?? 200).end();
      const before500 = await metricValue('eventsource_delivery_attempts_total', { schedule: 'nightly', status: '500' });
      const results = [];
      for (let attempt = 1; attempt <= 3; attempt++) results.push(await sendTick(tick, sender(sink.at(), mode), { attempt, lastAttempt: attempt === 3 }));
      assert.deepEqual(results.map((r) => r.ok), [false, false, true]);
      const spans = exporter.getFinishedSpans();
      assert.equal(spans.length, 3, 'one span per attempt');
      assert.equal(sink.requests.length, 3);
      const id = eventId(tick);
      sink.requests.forEach((request: RecordedRequest, i) => {
        const span = spans[i];
        const header = String(request.headers['traceparent']);
        const match = TRACEPARENT.exec(header);
        assert.ok(match, header);
        assert.equal(match[1], span?.spanContext().traceId, 'the trace id of the attempt');
        assert.equal(match[2], span?.spanContext().spanId, 'the span id of the attempt');
        const event = HTTP.toEvent({ headers: request.headers, body: request.body }) as { id: string; traceparent?: string };
        assert.equal(event.traceparent, header, 'the CloudEvents distributed-tracing extension says the same');
        assert.equal(event.id, id, 'the same event id on every attempt');
        assert.deepEqual(span?.attributes, {
          'eventsource.schedule': 'nightly',
          'eventsource.sequence': 4,
          'eventsource.scheduled_time': tick.scheduledTime,
          'eventsource.attempt': i + 1,
          'cloudevents.event_id': id,
          'cloudevents.event_source': 'urn:hello-com:cron-source',
          'cloudevents.event_type': 'com.hello.cron-event',
          'cloudevents.event_spec_version': '1.0',
          'http.request.method': 'POST',
          'http.response.status_code': [500, 500, 200][i],
        });
        assert.equal(span?.status.code, i < 2 ? SpanStatusCode.ERROR : SpanStatusCode.UNSET);
      });
      assert.equal(new Set(spans.map((s) => s.spanContext().spanId)).size, 3);
      assert.equal(await metricValue('eventsource_delivery_attempts_total', { schedule: 'nightly', status: '500' }) - before500, 2);
    });
  }

  it('no response: the attempt is counted with status "error" and its span says why; it has no HTTP status', async () => {
    const port = await freePort();
    const before = await metricValue('eventsource_delivery_attempts_total', { schedule: 'nightly', status: 'error' });
    const result = await sendTick(tick, sender(new URL(`http://127.0.0.1:${port}/`)), { attempt: 1 });
    assert.equal(result.ok, false);
    assert.equal(await metricValue('eventsource_delivery_attempts_total', { schedule: 'nightly', status: 'error' }) - before, 1);
    const [span] = exporter.getFinishedSpans();
    assert.equal(span?.status.code, SpanStatusCode.ERROR);
    assert.equal(span?.attributes['http.response.status_code'], undefined);
  });

  it('how an attempt ends its tick, as the orchestrator counts it', () => {
    assert.equal(tickOutcomeOf({ ok: true, status: 200 }, false), 'delivered');
    assert.equal(tickOutcomeOf({ ok: false, status: 400, reason: 'HTTP 400', retryable: false }, false), 'rejected');
    assert.equal(tickOutcomeOf({ ok: false, status: 500, reason: 'HTTP 500', retryable: true, deadLettered: true }, true), 'dead_lettered');
    assert.equal(tickOutcomeOf({ ok: false, status: 500, reason: 'HTTP 500', retryable: true }, true), 'failed');
    assert.equal(tickOutcomeOf({ ok: false, status: 500, reason: 'HTTP 500', retryable: true }, false), undefined, 'another attempt follows');
  });
});
