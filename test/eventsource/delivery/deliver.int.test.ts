import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HTTP, type CloudEvent } from 'cloudevents';
import { createDelivery, type Delivery, type DeliveryOptions } from '../../../src/eventsource/delivery/deliver.js';
import { EventSourceError } from '../../../src/eventsource/core/errors.js';
import { buildEvent, type TickEventData } from '../../../src/eventsource/core/event.js';
import { createTlsFixture, type TlsFixture } from './tls-fixture.js';
import { freePort } from '../../../src/host/storage/azurite.js';
import { RecordingSink, useAnsweringSink, type RecordedRequest } from '../../support/recording-sink.js';

const event = buildEvent(
  { scheduleName: 'default', generation: '2025-01-01T00:00:00.000Z', sequence: 7, scheduledTime: '2025-01-01T00:01:10.000Z' },
  { type: 'com.hello.cron-event', source: 'urn:hello-com:cron-source', overrides: { extra: 'yes' } },
);

/** Runs `body` with a delivery, closing it afterwards. */
async function withDelivery<T>(options: DeliveryOptions, body: (delivery: Delivery) => Promise<T>): Promise<T> {
  const delivery = createDelivery(options);
  try {
    return await body(delivery);
  } finally {
    await delivery.close();
  }
}

function received(request: RecordedRequest): CloudEvent<TickEventData> {
  return HTTP.toEvent({ headers: request.headers, body: request.body }) as CloudEvent<TickEventData>;
}

describe('delivery over http', () => {
  const sink = useAnsweringSink();

  for (const mode of ['binary', 'structured'] as const) {
    it(`sends a ${mode} CloudEvent the SDK reads back unchanged`, async () => {
      sink.answer = (_req, res) => res.writeHead(202).end();
      const before = sink.requests.length;
      const outcome = await withDelivery({ sink: sink.at('/events'), mode, timeoutMs: 5_000 }, (d) => d.deliver(event));
      assert.equal(outcome.ok, true);
      assert.equal(outcome.status, 202);
      const request = sink.requests[before]!;
      assert.equal(request.method, 'POST');
      assert.equal(request.url, '/events');
      if (mode === 'binary') {
        assert.equal(request.headers['ce-id'], event.id);
        assert.equal(request.headers['content-type'], 'application/json');
      } else {
        assert.match(request.headers['content-type'] ?? '', /^application\/cloudevents\+json/);
        assert.equal(request.headers['ce-id'], undefined);
      }
      const got = received(request);
      assert.equal(got.id, event.id);
      assert.equal(got.type, event.type);
      assert.equal(got.source, event.source);
      assert.equal(got['sequence'], '0000000000000007');
      assert.equal(got['extra'], 'yes');
      assert.equal(new Date(got.time!).toISOString(), '2025-01-01T00:01:10.000Z');
      assert.deepEqual(got.data, { schedule: 'default', sequence: 7, scheduledTime: '2025-01-01T00:01:10.000Z' });
    });
  }

  for (const status of [200, 202, 204]) {
    it(`treats ${status} as success`, async () => {
      sink.answer = (_req, res) => res.writeHead(status).end();
      const outcome = await withDelivery({ sink: sink.at(), mode: 'binary', timeoutMs: 5_000 }, (d) => d.deliver(event));
      assert.deepEqual({ ok: outcome.ok, status: outcome.status }, { ok: true, status });
      assert.ok(outcome.durationMs >= 0);
    });
  }

  const failures: Array<[number, boolean]> = [
    [500, true], [503, true], [404, true], [408, true], [409, true], [429, true],
    [400, false], [401, false], [403, false], [413, false], [301, false], [307, false],
  ];
  for (const [status, retryable] of failures) {
    it(`treats ${status} as a ${retryable ? 'retryable' : 'non-retryable'} failure`, async () => {
      sink.answer = (_req, res) => res.writeHead(status, { 'content-type': 'text/plain', location: '/elsewhere' }).end(`status ${status}`);
      const outcome = await withDelivery({ sink: sink.at(), mode: 'binary', timeoutMs: 5_000 }, (d) => d.deliver(event));
      assert.equal(outcome.ok, false);
      if (outcome.ok) return;
      assert.equal(outcome.status, status);
      assert.equal(outcome.retryable, retryable);
      assert.equal(outcome.reason, `HTTP ${status}`);
      assert.equal(outcome.retryAfterMs, undefined);
    });
  }

  it('reads Retry-After in seconds and as an HTTP date', async () => {
    sink.answer = (_req, res) => res.writeHead(429, { 'retry-after': '7' }).end();
    const seconds = await withDelivery({ sink: sink.at(), mode: 'binary', timeoutMs: 5_000 }, (d) => d.deliver(event));
    assert.equal(seconds.ok, false);
    assert.equal(!seconds.ok && seconds.retryAfterMs, 7_000);

    const later = new Date(Date.now() + 120_000);
    sink.answer = (_req, res) => res.writeHead(503, { 'retry-after': later.toUTCString() }).end();
    const date = await withDelivery({ sink: sink.at(), mode: 'binary', timeoutMs: 5_000 }, (d) => d.deliver(event));
    assert.equal(date.ok, false);
    const ms = !date.ok ? date.retryAfterMs : undefined;
    // The HTTP date has whole seconds and some real time passes: between 60 s and 121 s, certainly not 0 or absent.
    assert.ok(ms !== undefined && ms > 60_000 && ms <= 121_000, `retryAfterMs ${ms}`);
  });

  it('percent-encodes binary-mode header values HTTP cannot carry (CloudEvents HTTP binding 3.1.3.2)', async () => {
    sink.answer = (_req, res) => res.writeHead(200).end();
    const accented = buildEvent(
      { scheduleName: 'default', generation: 'g1', sequence: 1, scheduledTime: '2025-01-01T00:00:00.000Z' },
      { type: 'com.hello.cron-event', source: 'urn:hello-com:cron-source', overrides: { city: 'Zürich', plain: 'a b' } },
    );
    const outcome = await withDelivery({ sink: sink.at(), mode: 'binary', timeoutMs: 5_000 }, (d) => d.deliver(accented));
    assert.equal(outcome.ok, true);
    const request = sink.requests.at(-1)!;
    assert.equal(request.headers['ce-city'], 'Z%C3%BCrich');
    assert.equal(request.headers['ce-plain'], 'a b');
  });

  it('reuses one keep-alive connection for several deliveries', async () => {
    const keepAlive = await RecordingSink.answering();
    try {
      await withDelivery({ sink: keepAlive.at(), mode: 'binary', timeoutMs: 5_000 }, async (d) => {
        for (let i = 0; i < 5; i++) {
          keepAlive.answer = i % 2 === 0
            ? (_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(10_000))
            : (_req, res) => res.writeHead(500).end('oops');
          await d.deliver(event);
        }
      });
      assert.equal(keepAlive.requests.length, 5);
      assert.equal(keepAlive.connections, 1);
      assert.deepEqual(new Set(keepAlive.requests.map((r) => r.socketId)), new Set([1]));
    } finally {
      await keepAlive.stop();
    }
  });

  it('a recording sink keeping idle connections over 2 s (keepAliveTimeoutMs) gets one connection; its 1 s default one a delivery', async () => {
    // undici reuses a connection only while the server's keep-alive leaves it more than 2 s (keepAliveTimeoutThreshold).
    for (const [keepAliveTimeoutMs, connections] of [[5_000, 1], [undefined, 3]] as const) {
      const recording = await new RecordingSink(keepAliveTimeoutMs === undefined ? {} : { keepAliveTimeoutMs }).start();
      try {
        await withDelivery({ sink: recording.at(), mode: 'binary', timeoutMs: 5_000 }, async (d) => {
          for (let i = 0; i < 3; i++) assert.equal((await d.deliver(event)).ok, true);
        });
        assert.equal(recording.events.length, 3);
        assert.equal(recording.connections, connections, `keepAliveTimeoutMs ${keepAliveTimeoutMs}`);
      } finally {
        await recording.stop();
      }
    }
  });

  it('times out when the sink never answers', async () => {
    sink.answer = () => undefined; // keep the request hanging
    const outcome = await withDelivery({ sink: sink.at(), mode: 'binary', timeoutMs: 300 }, (d) => d.deliver(event));
    assert.equal(outcome.ok, false);
    if (outcome.ok) return;
    assert.equal(outcome.status, undefined);
    assert.equal(outcome.retryable, true);
    assert.equal(outcome.reason, 'timeout after 300 ms');
  });

  it('sends credentials from the URL as Basic auth and keeps the query, without leaking them in reasons', async () => {
    sink.answer = (_req, res) => res.writeHead(400).end();
    const url = sink.at('/in?sig=topsecretsig');
    url.username = 'alice';
    url.password = 'hunter2';
    const outcome = await withDelivery({ sink: url, mode: 'binary', timeoutMs: 5_000, headers: { 'X-Extra': 'e' } }, (d) => d.deliver(event, { headers: { 'x-per-call': 'p' } }));
    const request = sink.requests.at(-1)!;
    assert.equal(request.url, '/in?sig=topsecretsig');
    assert.equal(request.headers.authorization, `Basic ${Buffer.from('alice:hunter2').toString('base64')}`);
    assert.equal(request.headers['x-extra'], 'e');
    assert.equal(request.headers['x-per-call'], 'p');
    assert.equal(outcome.ok, false);
    assert.doesNotMatch(JSON.stringify(outcome), /hunter2|topsecretsig|alice/);
  });
});

describe('delivery failures without a sink', () => {
  it('reports connection refused as retryable, with no secret in the reason', async () => {
    const port = await freePort();
    const sink = new URL(`http://bob:s3cret@127.0.0.1:${port}/path?token=t0k3n`);
    const outcome = await withDelivery({ sink, mode: 'structured', timeoutMs: 5_000 }, (d) => d.deliver(event));
    assert.equal(outcome.ok, false);
    if (outcome.ok) return;
    assert.equal(outcome.retryable, true);
    assert.equal(outcome.status, undefined);
    assert.equal(outcome.reason, 'connection refused (ECONNREFUSED)');
    assert.doesNotMatch(JSON.stringify(outcome), /s3cret|t0k3n|bob/);
  });

  it('refuses a non-http sink and a bad timeout up front, without quoting credentials', () => {
    assert.throws(
      () => createDelivery({ sink: new URL('ftp://u:pw123@example.com/'), mode: 'binary', timeoutMs: 1_000 }),
      (error: unknown) => error instanceof EventSourceError && error.code === 'DELIVERY_INVALID' && !error.message.includes('pw123'),
    );
    assert.throws(() => createDelivery({ sink: new URL('http://127.0.0.1/'), mode: 'binary', timeoutMs: 0 }), EventSourceError);
  });
});

describe('delivery over https', () => {
  let tls: TlsFixture;
  let sink: RecordingSink;
  before(async () => {
    tls = createTlsFixture();
    sink = await RecordingSink.answering({ tls: { cert: tls.serverCert, key: tls.serverKey } });
  });
  after(async () => {
    await sink?.stop();
    tls?.remove();
  });

  it('trusts a sink whose certificate is signed by the CA given as caCerts', async () => {
    const before = sink.requests.length;
    const outcome = await withDelivery({ sink: sink.at(), mode: 'binary', timeoutMs: 5_000, caCerts: tls.caCert }, async (d) => {
      const first = await d.deliver(event);
      await d.deliver(event);
      return first;
    });
    assert.deepEqual({ ok: outcome.ok, status: outcome.status }, { ok: true, status: 200 });
    assert.equal(sink.requests.length, before + 2);
    assert.equal(received(sink.requests.at(-1)!).id, event.id);
  });

  it('fails (retryable, TLS reason) without the CA', async () => {
    const before = sink.requests.length;
    const outcome = await withDelivery({ sink: sink.at(), mode: 'binary', timeoutMs: 5_000 }, (d) => d.deliver(event));
    assert.equal(outcome.ok, false);
    if (outcome.ok) return;
    assert.equal(outcome.retryable, true);
    assert.match(outcome.reason, /^TLS certificate of the sink not trusted \([A-Z_]+\)$/);
    assert.equal(sink.requests.length, before, 'nothing reached the sink');
  });
});
