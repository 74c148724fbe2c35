/**
 * The two Knative contract points the source honours at delivery time, end to end over real loopback servers:
 * trust bundles mounted as `*.crt` files (K_CA_CERTS_DIR) and the rotating OIDC token (K_OIDC_TOKEN_FILE).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { loadConfig } from '../../../src/eventsource/config/config.js';
import { createDelivery, type Delivery } from '../../../src/eventsource/delivery/deliver.js';
import { createOidcTokenSource } from '../../../src/eventsource/delivery/oidc-token.js';
import { sendTick, type TickSender } from '../../../src/eventsource/delivery/send-tick.js';
import { createLogger } from '../../../src/eventsource/observability/logger.js';
import type { DeliveryResult, TickInput } from '../../../src/eventsource/core/schedule-state.js';
import { createTlsFixture, type TlsFixture } from './tls-fixture.js';
import { RecordingSink } from '../../support/recording-sink.js';

const EVENT = { type: 'com.hello.cron-event', source: 'urn:hello-com:cron-source', overrides: {} };
const TOKEN_1 = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJvbmUifQ.first-signature-7f3a';
const TOKEN_2 = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ0d28ifQ.second-signature-9c1d';

function tick(sequence: number): TickInput {
  return { scheduleName: 'default', generation: '2025-01-01T00:00:00.000Z', sequence, scheduledTime: '2025-01-01T00:00:10.000Z' };
}

/** A pino logger writing into memory, as JSON lines. */
function capturedLogger(): { logger: TickSender['logger']; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'));
      callback();
    },
  });
  return { logger: createLogger({ level: 'trace', destination: stream }), text: () => chunks.join('') };
}

describe('trust bundles mounted as files, at delivery', () => {
  let tls: TlsFixture;
  let sink: RecordingSink;
  let certsDir: string;
  before(async () => {
    tls = createTlsFixture();
    sink = await RecordingSink.answering({ tls: { cert: tls.serverCert, key: tls.serverKey } });
    certsDir = mkdtempSync(path.join(tmpdir(), 'eventsource-certs-'));
  });
  after(async () => {
    await sink?.stop();
    tls?.remove();
    rmSync(certsDir, { recursive: true, force: true });
  });

  async function deliverOnce(env: Record<string, string>): Promise<DeliveryResult> {
    const config = loadConfig({ K_SINK: sink.at().href, ...env });
    const delivery = createDelivery({
      sink: config.sink,
      mode: config.ceMode,
      timeoutMs: 5_000,
      ...(config.caCerts !== undefined ? { caCerts: config.caCerts } : {}),
    });
    try {
      const { logger } = capturedLogger();
      return await sendTick(tick(1), { delivery, oidcToken: createOidcTokenSource(path.join(certsDir, 'no-token')), event: EVENT, logger });
    } finally {
      await delivery.close();
    }
  }

  it('an https sink signed by a CA from K_CA_CERTS_DIR is trusted; without the directory it is not', async () => {
    writeFileSync(path.join(certsDir, 'custom-ca.crt'), tls.caCert);
    const before = sink.requests.length;
    assert.deepEqual(await deliverOnce({ K_CA_CERTS_DIR: certsDir }), { ok: true, status: 200 });
    assert.equal(sink.requests.length, before + 1);

    const untrusted = await deliverOnce({ K_CA_CERTS_DIR: path.join(certsDir, 'absent') });
    assert.equal(untrusted.ok, false);
    assert.ok(!untrusted.ok && untrusted.retryable);
    assert.match(!untrusted.ok ? untrusted.reason : '', /^TLS certificate of the sink not trusted/);
    assert.equal(sink.requests.length, before + 1, 'nothing reached the sink');
  });

  it('K_CA_CERTS and the directory are trusted together', async () => {
    // The directory holds an unrelated certificate only; the sink's CA comes from K_CA_CERTS, and the reverse.
    writeFileSync(path.join(certsDir, 'custom-ca.crt'), tls.serverCert);
    assert.deepEqual(await deliverOnce({ K_CA_CERTS_DIR: certsDir, K_CA_CERTS: tls.caCert }), { ok: true, status: 200 });
    writeFileSync(path.join(certsDir, 'custom-ca.crt'), tls.caCert);
    assert.deepEqual(await deliverOnce({ K_CA_CERTS_DIR: certsDir, K_CA_CERTS: tls.serverCert }), { ok: true, status: 200 });
  });
});

describe('OIDC token at delivery', () => {
  let sink: RecordingSink;
  let dir: string;
  let tokenFile: string;
  let delivery: Delivery;
  let log: ReturnType<typeof capturedLogger>;
  let sender: TickSender;
  before(async () => {
    sink = await RecordingSink.answering();
  });
  after(async () => {
    await sink?.stop();
  });
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'eventsource-oidc-'));
    tokenFile = path.join(dir, 'token');
    delivery = createDelivery({ sink: sink.at('/in'), mode: 'binary', timeoutMs: 5_000 });
    log = capturedLogger();
    sender = { delivery, oidcToken: createOidcTokenSource(tokenFile), event: EVENT, logger: log.logger };
    sink.answer = (_req, res) => res.writeHead(202).end();
  });
  afterEach(async () => {
    await delivery.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function assertNoToken(...things: unknown[]): void {
    const text = `${log.text()}\n${JSON.stringify(things)}`;
    for (const token of [TOKEN_1, TOKEN_2]) {
      assert.ok(!text.includes(token), 'the token leaked into a result or a log line');
      assert.ok(!text.includes(token.split('.')[2]!), 'part of the token leaked into a result or a log line');
    }
  }

  it('sends Authorization: Bearer <token>, and the rotated token on the next delivery', async () => {
    writeFileSync(tokenFile, `${TOKEN_1}\n`);
    const first = await sendTick(tick(1), sender);
    assert.deepEqual(first, { ok: true, status: 202 });
    assert.equal(sink.requests.at(-1)!.headers.authorization, `Bearer ${TOKEN_1}`);

    writeFileSync(tokenFile, TOKEN_2);
    const second = await sendTick(tick(2), sender);
    assert.deepEqual(second, { ok: true, status: 202 });
    assert.equal(sink.requests.at(-1)!.headers.authorization, `Bearer ${TOKEN_2}`);

    sink.answer = (_req, res) => res.writeHead(401).end(`rejected ${TOKEN_2}`);
    const rejected = await sendTick(tick(3), sender);
    assert.deepEqual(rejected, { ok: false, status: 401, reason: 'HTTP 401', retryable: false });
    assert.match(log.text(), /"oidc":true/);
    assertNoToken(first, second, rejected);
  });

  it('sends no Authorization header when there is no token file', async () => {
    const result = await sendTick(tick(1), sender);
    assert.deepEqual(result, { ok: true, status: 202 });
    assert.equal(sink.requests.at(-1)!.headers.authorization, undefined);
    assert.match(log.text(), /"oidc":false/);
  });

  it('the token replaces Basic credentials of the sink URL', async () => {
    const url = sink.at('/in');
    url.username = 'alice';
    url.password = 'pw';
    const basic = createDelivery({ sink: url, mode: 'binary', timeoutMs: 5_000 });
    try {
      writeFileSync(tokenFile, TOKEN_1);
      await sendTick(tick(1), { ...sender, delivery: basic });
      assert.equal(sink.requests.at(-1)!.headers.authorization, `Bearer ${TOKEN_1}`);
    } finally {
      await basic.close();
    }
  });

  it('an empty or unusable token file fails the attempt (retryable) without sending, and never shows the token', async () => {
    const before = sink.requests.length;
    writeFileSync(tokenFile, '\n');
    const empty = await sendTick(tick(1), sender);
    assert.deepEqual(empty, { ok: false, reason: `OIDC token file ${tokenFile} is empty`, retryable: true });

    writeFileSync(tokenFile, `${TOKEN_1}\n${TOKEN_2}`); // two lines: not one bearer token
    const garbled = await sendTick(tick(2), sender);
    assert.deepEqual(garbled, { ok: false, reason: `OIDC token file ${tokenFile} holds characters not allowed in a bearer token`, retryable: true });
    assert.equal(sink.requests.length, before, 'nothing was sent');

    const lines = log.text().trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(lines.map((line) => [line['msg'], line['reason']]), [
      ['event delivery failed', empty.ok ? '' : empty.reason],
      ['event delivery failed', garbled.ok ? '' : garbled.reason],
    ]);
    assertNoToken(empty, garbled);

    writeFileSync(tokenFile, TOKEN_2);
    assert.deepEqual(await sendTick(tick(3), sender), { ok: true, status: 202 });
    assert.equal(sink.requests.at(-1)!.headers.authorization, `Bearer ${TOKEN_2}`);
  });
});
