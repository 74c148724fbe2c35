import assert from 'node:assert/strict';
import { test } from 'node:test';
import { admitLayer, recordLayer, type BreakerPlace } from '../../../../src/eventsource/delivery/layers/sink-breaker.js';
import { FAILURES_TO_OPEN, SinkBreaker } from '../../../../src/eventsource/delivery/sink-breaker.js';
import { captureLogger } from '../../../host/capture-logger.js';
import { answering, attemptOf } from './support.js';

const origin = 'http://127.0.0.1:9';

function place(now: { ms: number }): BreakerPlace & { lines: ReturnType<typeof captureLogger>['lines'] } {
  const { logger, lines } = captureLogger();
  return { breaker: new SinkBreaker(1_000), origin, logger, now: () => now.ms, lines };
}

test('record: failures without a response take the origin down after FAILURES_TO_OPEN, logged once; a success brings it up', async () => {
  const now = { ms: 0 };
  const at = place(now);
  const failing = recordLayer(at)(answering({ ok: false, reason: 'connection refused', retryable: true }));
  for (let i = 0; i < FAILURES_TO_OPEN; i++) await failing(attemptOf());
  assert.equal(at.breaker.isDown(origin), true);
  assert.equal(at.lines.filter((l) => l.msg === 'sink down: attempts wait for a probe to succeed').length, 1);
  now.ms = 5_000;
  await recordLayer(at)(answering({ ok: true, status: 200 }))(attemptOf());
  assert.equal(at.breaker.isDown(origin), false);
  assert.equal(at.lines.find((l) => l.msg === 'sink up again')?.['downMs'], 5_000);
});

test('admit: an origin known down is answered at once, nothing sent, the tick keeping its attempts', async () => {
  const now = { ms: 0 };
  const at = place(now);
  for (let i = 0; i < FAILURES_TO_OPEN; i++) at.breaker.record(origin, 'down', now.ms, 'connection refused');
  const next = answering({ ok: true, status: 200 });
  now.ms = 10;
  const outcome = await admitLayer(at)(next)(attemptOf());
  assert.equal(next.seen.length, 0);
  assert.deepEqual(outcome, {
    ok: false,
    reason: `sink ${origin} is down since 1970-01-01T00:00:00.000Z (connection refused); not sent`,
    retryable: true,
    sinkDown: true,
    sinkDownRetryMs: 1_000,
  });
});

test('admit: an attempt that may not probe is answered "sink down" while the origin is down, even with a probe due', async () => {
  const now = { ms: 0 };
  const at = place(now);
  for (let i = 0; i < FAILURES_TO_OPEN; i++) at.breaker.record(origin, 'down', now.ms, 'HTTP 503');
  now.ms = 1_000;
  const next = answering({ ok: true, status: 200 });
  const outcome = await admitLayer(at, false)(next)(attemptOf());
  assert.equal(next.seen.length, 0);
  assert.equal(!outcome.ok && outcome.sinkDown, true);
  assert.equal(at.breaker.admit(origin, now.ms).send, true, 'the probe is left to the next attempt that may make it');
});

test('admit: a probe that fails is a real attempt that says when to come back; with the origin up, a failure says nothing of it', async () => {
  const now = { ms: 0 };
  const at = place(now);
  const failure = { ok: false as const, reason: 'HTTP 503', status: 503, retryable: true };
  assert.deepEqual(await admitLayer(at)(answering(failure))(attemptOf()), failure);
  for (let i = 0; i < FAILURES_TO_OPEN; i++) at.breaker.record(origin, 'down', now.ms, 'HTTP 503');
  now.ms = 1_000; // the probe interval has passed: this attempt is the probe
  const next = answering(failure);
  assert.deepEqual(await admitLayer(at)(next)(attemptOf()), { ...failure, sinkDownRetryMs: 1_000 });
  assert.equal(next.seen.length, 1);
});
