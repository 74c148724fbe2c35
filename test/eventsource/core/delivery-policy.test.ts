import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DELIVERY_DEFAULTS, maxAttemptsOf, retryDelay, type DeliveryPolicy } from '../../../src/eventsource/core/delivery-policy.js';

const retryable = { retryable: true };

describe('retryDelay', () => {
  const exponential: DeliveryPolicy = { retry: 9, backoffPolicy: 'exponential', backoffDelayMs: 200, maxBackoffMs: 60_000, timeoutMs: 10_000 };
  const linear: DeliveryPolicy = { ...exponential, backoffPolicy: 'linear' };

  it('grows exponentially: delay * 2^(n-1)', () => {
    assert.deepEqual([1, 2, 3, 4, 5].map((n) => retryDelay(exponential, n, retryable)), [200, 400, 800, 1_600, 3_200]);
  });

  it('grows linearly: delay * n', () => {
    assert.deepEqual([1, 2, 3, 4, 5].map((n) => retryDelay(linear, n, retryable)), [200, 400, 600, 800, 1_000]);
  });

  it('is capped at maxBackoffMs', () => {
    const capped: DeliveryPolicy = { retry: 99, backoffPolicy: 'exponential', backoffDelayMs: 1_000, maxBackoffMs: 30_000, timeoutMs: 10_000 };
    assert.deepEqual([5, 6, 7, 60, 99].map((n) => retryDelay(capped, n, retryable)), [16_000, 30_000, 30_000, 30_000, 30_000]);
    assert.equal(retryDelay({ ...capped, backoffPolicy: 'linear' }, 50, retryable), 30_000);
  });

  it('honours Retry-After: waits at least that long, within maxBackoffMs', () => {
    assert.equal(retryDelay(exponential, 1, { retryable: true, retryAfterMs: 5_000 }), 5_000);
    assert.equal(retryDelay(exponential, 1, { retryable: true, retryAfterMs: 100 }), 200, 'computed delay is longer');
    assert.equal(retryDelay(exponential, 1, { retryable: true, retryAfterMs: 0 }), 200);
    assert.equal(retryDelay(exponential, 1, { retryable: true, retryAfterMs: 3_600_000 }), 60_000, 'capped');
  });

  it('gives up on a non-retryable failure', () => {
    assert.equal(retryDelay(exponential, 1, { retryable: false }), undefined);
    assert.equal(retryDelay(exponential, 1, { retryable: false, retryAfterMs: 1_000 }), undefined);
  });

  it('gives up after retry + 1 attempts', () => {
    const three: DeliveryPolicy = { ...exponential, retry: 2 };
    assert.equal(retryDelay(three, 1, retryable), 200);
    assert.equal(retryDelay(three, 2, retryable), 400);
    assert.equal(retryDelay(three, 3, retryable), undefined);
    assert.equal(retryDelay(three, 4, retryable), undefined);
    assert.equal(retryDelay({ ...exponential, retry: 0 }, 1, retryable), undefined, 'a single attempt never retries');
  });
});

describe('DELIVERY_DEFAULTS', () => {
  it('are five attempts per tick, exponential from 1 s, at most 30 s apart, 10 s each (README, Knative\'s defaults)', () => {
    assert.equal(maxAttemptsOf(DELIVERY_DEFAULTS), 5);
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((n) => retryDelay(DELIVERY_DEFAULTS, n, retryable)),
      [1_000, 2_000, 4_000, 8_000, undefined],
    );
    assert.equal(DELIVERY_DEFAULTS.timeoutMs, 10_000);
  });
});
