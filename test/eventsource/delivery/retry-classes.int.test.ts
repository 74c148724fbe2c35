/**
 * Each retry class of issue #9 against a real loopback sink: the attempt's outcome, and what the retry policy makes
 * of it (the delay before the next attempt, or none). Retry-After is honoured on 429 and 503, capped by maxBackoff.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseRetryAfter } from '../../../src/eventsource/delivery/classify.js';
import { createDelivery, type DeliveryOutcome } from '../../../src/eventsource/delivery/deliver.js';
import { buildEvent } from '../../../src/eventsource/core/event.js';
import { retryDelay, type DeliveryPolicy } from '../../../src/eventsource/core/delivery-policy.js';
import { fuzzParameters } from '../../support/fuzz.js';
import { freePort } from '../../../src/host/storage/azurite.js';
import { useAnsweringSink } from '../../support/recording-sink.js';

const event = buildEvent(
  { scheduleName: 'retry', generation: '2025-01-01T00:00:00.000Z', sequence: 1, scheduledTime: '2025-01-01T00:00:10.000Z' },
  { type: 'com.hello.cron-event', source: 'urn:hello-com:cron-source', overrides: {} },
);
const policy: DeliveryPolicy = { retry: 4, backoffPolicy: 'exponential', backoffDelayMs: 100, maxBackoffMs: 10_000, timeoutMs: 5_000 };

async function attempt(url: URL, timeoutMs = 5_000): Promise<DeliveryOutcome> {
  const delivery = createDelivery({ sink: url, mode: 'binary', timeoutMs });
  try {
    return await delivery.deliver(event);
  } finally {
    await delivery.close();
  }
}

/** The delay the policy gives after this outcome as the first failed attempt (undefined: not retried). */
function nextDelay(outcome: DeliveryOutcome): number | undefined {
  assert.equal(outcome.ok, false);
  if (outcome.ok) return undefined;
  return retryDelay(policy, 1, { retryable: outcome.retryable, ...(outcome.retryAfterMs !== undefined ? { retryAfterMs: outcome.retryAfterMs } : {}) });
}

describe('retry classes against a loopback sink', () => {
  const sink = useAnsweringSink();

  it('a network error (closed port) is retried', async () => {
    const outcome = await attempt(new URL(`http://127.0.0.1:${await freePort()}/`));
    assert.equal(!outcome.ok && outcome.reason, 'connection refused (ECONNREFUSED)');
    assert.equal(nextDelay(outcome), 100);
  });

  it('a timeout is retried', async () => {
    sink.answer = () => undefined;
    const outcome = await attempt(sink.at(), 200);
    assert.equal(!outcome.ok && outcome.reason, 'timeout after 200 ms');
    assert.equal(nextDelay(outcome), 100);
  });

  for (const status of [404, 408, 409, 429, 500, 502, 503, 504]) {
    it(`${status} is retried with the policy's back-off`, async () => {
      sink.answer = (_req, res) => res.writeHead(status).end('nope');
      const outcome = await attempt(sink.at());
      assert.equal(!outcome.ok && outcome.status, status);
      assert.equal(nextDelay(outcome), 100);
    });
  }

  for (const status of [400, 401, 403, 405, 410, 413, 422, 301, 302, 307]) {
    it(`${status} is not retried`, async () => {
      sink.answer = (_req, res) => res.writeHead(status, { location: '/elsewhere', 'retry-after': '3' }).end();
      const outcome = await attempt(sink.at());
      assert.deepEqual(!outcome.ok && [outcome.status, outcome.retryable], [status, false]);
      assert.equal(nextDelay(outcome), undefined);
    });
  }

  it('429 with Retry-After in seconds waits that long', async () => {
    sink.answer = (_req, res) => res.writeHead(429, { 'retry-after': '3' }).end();
    const outcome = await attempt(sink.at());
    assert.equal(!outcome.ok && outcome.retryAfterMs, 3_000);
    assert.equal(nextDelay(outcome), 3_000);
  });

  it('429 with Retry-After as an HTTP date waits until then', async () => {
    const at = new Date(Date.now() + 6_000);
    sink.answer = (_req, res) => res.writeHead(429, { 'retry-after': at.toUTCString() }).end();
    const delay = nextDelay(await attempt(sink.at()));
    // Whole seconds in the date, and real time passes: 4-6 s, certainly more than the policy's 100 ms.
    assert.ok(delay !== undefined && delay > 4_000 && delay <= 6_000, `delay ${delay}`);
  });

  it('429 asking for an hour is capped at maxBackoff', async () => {
    sink.answer = (_req, res) => res.writeHead(429, { 'retry-after': '3600' }).end();
    assert.equal(nextDelay(await attempt(sink.at())), policy.maxBackoffMs);
    const date = new Date(Date.now() + 86_400_000).toUTCString();
    sink.answer = (_req, res) => res.writeHead(429, { 'retry-after': date }).end();
    assert.equal(nextDelay(await attempt(sink.at())), policy.maxBackoffMs);
  });

  it('503 honours Retry-After too; 500 ignores it', async () => {
    sink.answer = (_req, res) => res.writeHead(503, { 'retry-after': '2' }).end();
    assert.equal(nextDelay(await attempt(sink.at())), 2_000);
    sink.answer = (_req, res) => res.writeHead(500, { 'retry-after': '2' }).end();
    assert.equal(nextDelay(await attempt(sink.at())), 100);
  });
});

describe('parseRetryAfter (property)', () => {
  const now = new Date('2030-06-01T12:00:00.000Z');

  it('reads any delay-seconds exactly, a huge one as MAX_SAFE_INTEGER', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 30n }), fc.constantFrom('', ' ', '\t'), (seconds, pad) => {
        const expected = seconds * 1000n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(seconds * 1000n) : Number.MAX_SAFE_INTEGER;
        assert.equal(parseRetryAfter(`${pad}${seconds}${pad}`, now), expected);
      }),
      fuzzParameters({ numRuns: 200 }, 'retry-after seconds'),
    );
  });

  it('reads any HTTP date as the milliseconds until it, 0 when past', () => {
    fc.assert(
      fc.property(fc.integer({ min: -10 * 365 * 86_400, max: 10 * 365 * 86_400 }), (offsetSeconds) => {
        const at = new Date(now.getTime() + offsetSeconds * 1_000);
        assert.equal(parseRetryAfter(at.toUTCString(), now), Math.max(0, offsetSeconds * 1_000));
      }),
      fuzzParameters({ numRuns: 200 }, 'retry-after date'),
    );
  });

  it('never throws, and gives a whole non-negative number or nothing for any text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.constantFrom('-1', '1e3', '0x10', 'Infinity', 'NaN', 'Mon, 32 Jan 2030 00:00:00 GMT')), (text) => {
        const ms = parseRetryAfter(text, now);
        assert.ok(ms === undefined || (Number.isSafeInteger(ms) && ms >= 0), `${JSON.stringify(text)} → ${ms}`);
      }),
      fuzzParameters({ numRuns: 300 }, 'retry-after text'),
    );
  });
});
