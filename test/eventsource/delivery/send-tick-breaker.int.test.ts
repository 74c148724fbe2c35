/**
 * sendTick with the sink breaker, against a real loopback sink and an injected clock: after three 503s the origin is
 * down and attempts are answered "sink down" without a POST (no dead letter, no attempt spent), one probe per
 * interval goes out, and the first 2xx opens the way for every attempt again. Another origin is not affected.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { createDelivery, type Delivery } from '../../../src/eventsource/delivery/deliver.js';
import { NO_TOKEN } from '../../../src/eventsource/delivery/oidc-token.js';
import { sendTick, type TickSender } from '../../../src/eventsource/delivery/send-tick.js';
import { SinkBreaker } from '../../../src/eventsource/delivery/sink-breaker.js';
import { createLogger } from '../../../src/eventsource/observability/logger.js';
import { type RecordingSink, useAnsweringSink } from '../../support/recording-sink.js';

const EVENT = { type: 'com.hello.cron-event', source: 'urn:hello-com:cron-source', overrides: {} };
const TICK = { scheduleName: 'b', generation: '2025-01-01T00:00:00.000Z', sequence: 1, scheduledTime: '2025-01-01T00:00:10.000Z' };
const quiet = createLogger({ level: 'silent', destination: new Writable({ write: (_c, _e, callback) => callback() }) });

describe('sendTick with the sink breaker', () => {
  const [sink, other, deadLetters] = [useAnsweringSink(), useAnsweringSink(), useAnsweringSink()];
  let deliveries: Delivery[] = [];
  after(async () => {
    await Promise.all(deliveries.map((d) => d.close()));
  });

  function sender(target: RecordingSink, breaker: SinkBreaker, clock: { now: number }): TickSender {
    const delivery = createDelivery({ sink: target.at(), mode: 'binary', timeoutMs: 5_000 });
    const deadLetter = createDelivery({ sink: deadLetters.at(), mode: 'binary', timeoutMs: 5_000 });
    deliveries = [...deliveries, delivery, deadLetter];
    return { delivery, deadLetter, oidcToken: NO_TOKEN, event: EVENT, logger: quiet, breaker, now: () => clock.now };
  }

  it('down after three 503s: answered at once without a POST or a dead letter, one probe per interval, up again on a 2xx', async () => {
    const breaker = new SinkBreaker(1_000);
    const clock = { now: 0 };
    const to = sender(sink, breaker, clock);
    sink.answer = (_req, res) => res.writeHead(503).end();
    for (let i = 0; i < 3; i++) {
      const result = await sendTick(TICK, to);
      assert.equal(result.ok, false);
      assert.equal(!result.ok && result.sinkDown, undefined, 'a real attempt');
    }
    const posted = sink.requests.length;
    const deferred = await sendTick(TICK, to, { lastAttempt: true });
    assert.deepEqual(
      deferred,
      { ok: false, reason: `sink ${sink.at().origin} is down since 1970-01-01T00:00:00.000Z (HTTP 503); not sent`, retryable: true, sinkDown: true, sinkDownRetryMs: 1_000 },
    );
    assert.equal(sink.requests.length, posted, 'no POST');
    assert.equal(deadLetters.requests.length, 0, 'not dead-lettered, even on its last attempt');
    assert.equal((await sendTick(TICK, sender(other, breaker, clock))).ok, true, 'another origin is not affected');

    clock.now = 1_000;
    const probe = await sendTick(TICK, to);
    assert.equal(sink.requests.length, posted + 1, 'the probe is a real POST');
    assert.deepEqual(probe.ok ? undefined : [probe.status, probe.sinkDown, probe.sinkDownRetryMs], [503, undefined, 1_000]);
    assert.equal((await sendTick(TICK, to)).ok === false && sink.requests.length, posted + 1, 'one probe per interval');

    sink.answer = (_req, res) => res.writeHead(200).end();
    clock.now = 2_000;
    assert.equal((await sendTick(TICK, to)).ok, true, 'the next probe succeeds');
    assert.deepEqual(breaker.down(), []);
    const results = await Promise.all([1, 2, 3].map(() => sendTick(TICK, to)));
    assert.deepEqual(results.map((r) => r.ok), [true, true, true]);
    assert.equal(sink.requests.length, posted + 5);
    assert.deepEqual(breaker.downTotals(5_000).find((t) => t.origin === sink.at().origin), { origin: sink.at().origin, up: true, downMs: 2_000 });
  });
});
