/**
 * Traces through the whole app on the embedded host (in this process, virtual clock): the process's tracer
 * provider has an in-memory exporter; it sees one span per delivery attempt, and the sink sees each attempt's own
 * trace context, as the W3C `traceparent` header and as the CloudEvents `traceparent` extension, while the event id
 * stays the tick's on every attempt.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SpanStatusCode } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import { setupTracing } from '../../src/eventsource/observability/tracing.js';
import { useAppEnvironment } from '../support/app-environment.js';

const exporter = new InMemorySpanExporter();
// Before the app loads: its own setup finds this provider and leaves it (one per process).
const setup = setupTracing({ env: {}, spanProcessors: [new SimpleSpanProcessor({ exporter })] });

const app = useAppEnvironment({ taskHubName: 'Traces', startTime: Date.parse('2030-01-01T00:00:00.000Z'), schedule: '1m' });
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;

test('one span per attempt; each attempt carries its own span\'s traceparent, header and extension alike; one id per tick', async () => {
  assert.equal(setup.registered, true, 'the test registered the process\'s provider');
  const [sink] = app.sinks;
  assert.ok(sink);
  sink.script = [500];
  const firstTick = await app.firstFireTime();
  await app.env.advanceTime(firstTick - app.env.clock.now() + 2 * 60_000 + 5_000);
  await sink.waitFor(3, 20_000);
  const attempts = sink.attempts;
  assert.equal(attempts.length, 4, `tick 1 twice (500, then 200), ticks 2 and 3 once: ${JSON.stringify(attempts.map((a) => a.status))}`);
  const spans = exporter.getFinishedSpans().filter((s) => s.name === 'send default');
  assert.equal(spans.length, attempts.length, 'one span per attempt');
  const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
  attempts.forEach((attempt, i) => {
    const match = TRACEPARENT.exec(attempt.traceparent ?? '');
    assert.ok(match, `attempt ${i + 1} has a traceparent header: ${attempt.traceparent}`);
    assert.equal(attempt.ceTraceparent, attempt.traceparent, 'the CloudEvents extension says the same');
    const span = byId.get(match[2] as string);
    assert.ok(span, `the span of attempt ${i + 1} was exported`);
    assert.equal(span.spanContext().traceId, match[1]);
    assert.equal(span.attributes['cloudevents.event_id'], attempt.id);
    assert.equal(span.attributes['eventsource.schedule'], 'default');
    assert.equal(span.attributes['http.response.status_code'], attempt.status);
    assert.equal(span.status.code, attempt.status === 500 ? SpanStatusCode.ERROR : SpanStatusCode.UNSET);
  });
  const [first, retry] = attempts;
  assert.equal(first?.id, retry?.id, 'the retry carries the tick\'s id');
  assert.notEqual(first?.traceparent, retry?.traceparent, 'and its own trace context');
  assert.deepEqual(attempts.map((a) => byId.get(TRACEPARENT.exec(a.traceparent ?? '')?.[2] ?? '')?.attributes['eventsource.attempt']), [1, 2, 1, 1]);
  assert.deepEqual(attempts.map((a) => byId.get(TRACEPARENT.exec(a.traceparent ?? '')?.[2] ?? '')?.attributes['eventsource.sequence']), [1, 1, 2, 3]);
});
