import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compose, type Layer } from '../../../../src/eventsource/delivery/layers/attempt.js';
import { answering, attemptOf } from './support.js';

test('compose: the first layer sees the attempt first and the outcome last', async () => {
  const order: string[] = [];
  const named = (name: string): Layer => (next) => async (attempt) => {
    order.push(`${name} in`);
    const outcome = await next({ ...attempt, headers: { ...attempt.headers, via: `${attempt.headers['via'] ?? ''}${name}` } });
    order.push(`${name} out`);
    return outcome;
  };
  const post = answering({ ok: true, status: 202 });
  const outcome = await compose([named('a'), named('b')], post)(attemptOf());
  assert.deepEqual(outcome, { ok: true, status: 202 });
  assert.deepEqual(order, ['a in', 'b in', 'b out', 'a out']);
  assert.equal(post.seen[0]?.headers['via'], 'ab');
});

test('compose: no layers is the send itself', async () => {
  const post = answering({ ok: false, reason: 'HTTP 500', status: 500, retryable: true });
  assert.deepEqual(await compose([], post)(attemptOf()), { ok: false, reason: 'HTTP 500', status: 500, retryable: true });
});
