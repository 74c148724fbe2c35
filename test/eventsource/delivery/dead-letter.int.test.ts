/**
 * Dead letters against real loopback sinks: when a tick's attempt ends it (a non-retryable status, or any failure
 * on the last attempt) and a dead-letter sink is set, the same event goes there with Knative's knativeerror*
 * extensions, and the result says deadLettered; otherwise the failure is returned as before.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { HTTP, type CloudEvent } from 'cloudevents';
import pino from 'pino';
import { createDelivery, type Delivery } from '../../../src/eventsource/delivery/deliver.js';
import { createDispatcher } from '../../../src/eventsource/delivery/dispatcher.js';
import { createOidcTokenSource } from '../../../src/eventsource/delivery/oidc-token.js';
import { sendTick, type TickSender } from '../../../src/eventsource/delivery/send-tick.js';
import { eventId, type TickEventData } from '../../../src/eventsource/core/event.js';
import type { TickInput } from '../../../src/eventsource/core/schedule-state.js';
import { freePort } from '../../../src/host/storage/azurite.js';
import { RecordingSink, type RecordedRequest } from '../../support/recording-sink.js';

const tick: TickInput = { scheduleName: 'nightly', generation: '2030-01-01T00:00:00.000Z', sequence: 4, scheduledTime: '2030-01-01T02:30:00.000Z' };
const eventOptions = { type: 'com.hello.cron-event', source: 'urn:hello-com:cron-source', overrides: { team: 'ops' } };
const noToken = createOidcTokenSource('/nonexistent/oidc/token');
const logger = pino({ level: 'silent' });

function received(request: RecordedRequest): CloudEvent<TickEventData> {
  return HTTP.toEvent({ headers: request.headers, body: request.body }) as CloudEvent<TickEventData>;
}

describe('dead letters', () => {
  let sink: RecordingSink;
  let dls: RecordingSink;
  const pools = createDispatcher({ connectTimeoutMs: 2_000 });
  const deliveries: Delivery[] = [];
  const to = (url: URL, mode: 'binary' | 'structured' = 'binary', timeoutMs = 2_000): Delivery => {
    const delivery = createDelivery({ sink: url, mode, timeoutMs, dispatcher: pools });
    deliveries.push(delivery);
    return delivery;
  };
  const sender = (target: URL, deadLetter?: URL, mode: 'binary' | 'structured' = 'binary'): TickSender => ({
    delivery: to(target, mode),
    ...(deadLetter ? { deadLetter: to(deadLetter, mode) } : {}),
    oidcToken: noToken,
    event: eventOptions,
    logger,
  });

  before(async () => {
    sink = await RecordingSink.answering();
    dls = await RecordingSink.answering();
  });
  beforeEach(() => {
    sink.requests.length = 0;
    dls.requests.length = 0;
    dls.answer = (_req, res) => res.writeHead(202).end();
  });
  after(async () => {
    for (const delivery of deliveries) await delivery.close();
    await pools.close();
    await sink.stop();
    await dls.stop();
  });

  it('after the last attempt: the same event, with knativeerrordest (no credentials), knativeerrorcode and knativeerrordata', async () => {
    sink.answer = (_req, res) => res.writeHead(503, { 'content-type': 'text/plain' }).end('queue full, try later');
    const target = sink.at('/events?sig=s3cr3t');
    target.username = 'alice';
    target.password = 'hunter2';
    const result = await sendTick(tick, sender(target, dls.at('/dead')), { lastAttempt: true });
    assert.deepEqual(result, { ok: false, status: 503, reason: 'HTTP 503', retryable: true, deadLettered: true });
    assert.equal(sink.requests.length, 1);
    assert.equal(dls.requests.length, 1);
    const request = dls.requests[0]!;
    assert.equal(request.url, '/dead');
    assert.equal(request.headers['ce-id'], eventId(tick), 'the same event id');
    assert.equal(request.headers['ce-knativeerrordest'], `http://127.0.0.1:${sink.port}/events`);
    assert.equal(request.headers['ce-knativeerrorcode'], '503');
    assert.equal(request.headers['ce-knativeerrordata'], Buffer.from('queue full, try later').toString('base64'));
    assert.equal(request.headers.authorization, undefined, "the sink's credentials do not go to the dead-letter sink");
    assert.doesNotMatch(JSON.stringify(request.headers), /hunter2|s3cr3t|alice/);
    // Everything else is the event as the sink got it.
    const original = received(sink.requests[0]!);
    const letter = received(request);
    for (const attribute of ['id', 'type', 'source', 'time', 'sequence', 'team', 'datacontenttype'] as const) {
      assert.deepEqual(letter[attribute], original[attribute], attribute);
    }
    assert.deepEqual(letter.data, { schedule: 'nightly', sequence: 4, scheduledTime: '2030-01-01T02:30:00.000Z' });
    assert.equal(request.body, sink.requests[0]!.body);
  });

  it('a non-retryable status goes there at once, on any attempt; structured mode carries the code as an integer', async () => {
    sink.answer = (_req, res) => res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"bad event"}');
    const result = await sendTick(tick, sender(sink.at(), dls.at(), 'structured'), { lastAttempt: false });
    assert.deepEqual(result, { ok: false, status: 400, reason: 'HTTP 400', retryable: false, deadLettered: true });
    const body = JSON.parse(dls.requests[0]!.body) as Record<string, unknown>;
    assert.equal(body['id'], eventId(tick));
    assert.equal(body['knativeerrorcode'], 400);
    assert.equal(Buffer.from(String(body['knativeerrordata']), 'base64').toString(), '{"error":"bad event"}');
  });

  it('a retryable failure before the last attempt is not dead-lettered', async () => {
    sink.answer = (_req, res) => res.writeHead(500).end('oops');
    const result = await sendTick(tick, sender(sink.at(), dls.at()), { lastAttempt: false });
    assert.deepEqual(result, { ok: false, status: 500, reason: 'HTTP 500', retryable: true });
    assert.equal(dls.requests.length, 0);
  });

  it('without a dead-letter sink the failure is returned as it was (the tick is kept)', async () => {
    sink.answer = (_req, res) => res.writeHead(500).end('oops');
    const result = await sendTick(tick, sender(sink.at()), { lastAttempt: true });
    assert.deepEqual(result, { ok: false, status: 500, reason: 'HTTP 500', retryable: true });
  });

  it('a network error: code 500 and "dispatch error: <reason>", as Knative writes them', async () => {
    const down = new URL(`http://127.0.0.1:${await freePort()}/x`);
    const result = await sendTick(tick, sender(down, dls.at()), { lastAttempt: true });
    assert.deepEqual(result, { ok: false, reason: 'connection refused (ECONNREFUSED)', retryable: true, deadLettered: true });
    const headers = dls.requests[0]!.headers;
    assert.equal(headers['ce-knativeerrorcode'], '500');
    assert.equal(Buffer.from(String(headers['ce-knativeerrordata']), 'base64').toString(), 'dispatch error: connection refused (ECONNREFUSED)');
    assert.equal(headers['ce-knativeerrordest'], down.href);
  });

  it('knativeerrordata is bounded: the first 768 bytes, 1,024 base64 characters; an empty body gives an empty value', async () => {
    const big = Buffer.from(Array.from({ length: 100_000 }, (_, i) => 32 + (i % 90)));
    sink.answer = (_req, res) => res.writeHead(502).end(big);
    await sendTick(tick, sender(sink.at(), dls.at()), { lastAttempt: true });
    const data = String(dls.requests[0]!.headers['ce-knativeerrordata']);
    assert.equal(data.length, 1_024);
    assert.deepEqual(Buffer.from(data, 'base64'), big.subarray(0, 768));

    sink.answer = (_req, res) => res.writeHead(502).end();
    await sendTick(tick, sender(sink.at(), dls.at()), { lastAttempt: true });
    assert.equal(dls.requests[1]!.headers['ce-knativeerrordata'], '');
  });

  it('when the dead-letter sink fails too, the tick is kept: a retryable failure naming both', async () => {
    sink.answer = (_req, res) => res.writeHead(400).end();
    dls.answer = (_req, res) => res.writeHead(503).end();
    const result = await sendTick(tick, sender(sink.at(), dls.at()), { lastAttempt: false });
    assert.deepEqual(result, { ok: false, status: 400, reason: 'HTTP 400; the dead-letter sink failed too: HTTP 503', retryable: true });
  });

  it('a success never touches the dead-letter sink', async () => {
    sink.answer = (_req, res) => res.writeHead(204).end();
    assert.deepEqual(await sendTick(tick, sender(sink.at(), dls.at()), { lastAttempt: true }), { ok: true, status: 204 });
    assert.equal(dls.requests.length, 0);
  });
});
