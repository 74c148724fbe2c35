import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import { createDelivery, type Delivery } from '../../../../src/eventsource/delivery/deliver.js';
import { deadLetterLayer } from '../../../../src/eventsource/delivery/layers/dead-letter.js';
import { captureLogger } from '../../../host/capture-logger.js';
import { RecordingSink } from '../../../support/recording-sink.js';
import { answering, attemptOf } from './support.js';

let dlq: RecordingSink;
let target: Delivery;
before(async () => {
  dlq = await RecordingSink.answering();
  target = createDelivery({ sink: dlq.at('/dlq'), mode: 'binary', timeoutMs: 2_000 });
});
after(async () => {
  await target.close();
  await dlq.stop();
});
beforeEach(() => {
  dlq.requests.length = 0;
  dlq.answer = (_req, res) => res.writeHead(200).end();
});

const SINK = 'http://sink.example/events';
const rejected = { ok: false as const, status: 400, reason: 'HTTP 400', retryable: false, body: Buffer.from('bad event') };

test('dead-letter: a failure for good goes to the dead-letter sink as Knative sends it, and the result says deadLettered', async () => {
  const { logger, lines } = captureLogger();
  const attempt = attemptOf();
  const outcome = await deadLetterLayer(target, SINK, logger)(answering(rejected))(attempt);
  assert.deepEqual(outcome, { ok: false, status: 400, reason: 'HTTP 400', retryable: false, deadLettered: true });
  const [letter] = dlq.requests;
  assert.equal(letter?.headers['ce-id'], attempt.event.id);
  assert.equal(letter?.headers['ce-knativeerrordest'], SINK);
  assert.equal(letter?.headers['ce-knativeerrorcode'], '400');
  assert.equal(Buffer.from(String(letter?.headers['ce-knativeerrordata']), 'base64').toString(), 'bad event');
  assert.ok(lines.some((l) => l.msg === 'event dead-lettered'));
});

test('dead-letter: a retryable failure goes there only on the tick\'s last attempt', async () => {
  const failed = { ok: false as const, reason: 'connection refused', retryable: true };
  const layer = deadLetterLayer(target, SINK, captureLogger().logger)(answering(failed));
  assert.deepEqual(await layer(attemptOf()), failed);
  assert.equal(dlq.requests.length, 0);
  assert.equal((await layer(attemptOf({ lastAttempt: true }))).ok, false);
  assert.equal(dlq.requests.length, 1);
});

test('dead-letter: an attempt not made (sink known down) is never final', async () => {
  const deferred = { ok: false as const, reason: 'down', retryable: true, sinkDown: true, sinkDownRetryMs: 1_000 };
  assert.deepEqual(await deadLetterLayer(target, SINK, captureLogger().logger)(answering(deferred))(attemptOf({ lastAttempt: true })), deferred);
  assert.equal(dlq.requests.length, 0);
});

test('dead-letter: when the dead-letter sink fails too, the tick is kept (retryable) and both reasons are named', async () => {
  dlq.answer = (_req, res) => res.writeHead(500).end();
  const outcome = await deadLetterLayer(target, SINK, captureLogger().logger)(answering(rejected))(attemptOf());
  assert.equal(outcome.ok, false);
  assert.equal(!outcome.ok && outcome.retryable, true);
  assert.match(!outcome.ok ? outcome.reason : '', /^HTTP 400; the dead-letter sink failed too: /);
});
