/**
 * The host's HTTP edge against hostile callers: body limits checked while reading, a bound on bodies read at once,
 * server timeouts, Host checks, and the keyless mode staying local (DNS rebinding, cross-site requests, forms).
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startHost, type RunningHost, type StartHostOptions } from '../../../src/host/host.js';
import { VirtualClock } from '../../../src/durable/clock/virtual-clock.js';
import { MAX_PAYLOAD_UNITS } from '../../../src/durable/storage-limits.js';
import { KEYED_BODY_BYTES } from '../../../src/host/http/edge-limits.js';
import { buildHostKeys } from '../../../src/host/http/host-keys.js';
import { captureLogger, fixtureDir, type CapturedLogger } from '../capture-logger.js';
import { memoryEngineFactory, type MemoryRuntime } from '../memory-runtime.js';

const CONNECTION = 'AccountName=unused;AccountKey=dW51c2Vk;TableEndpoint=http://127.0.0.1:9/unused;';
const HOOK = '/runtime/webhooks/durabletask';

async function start(extra: Partial<StartHostOptions> = {}, engines: MemoryRuntime[] = [], log = captureLogger('warn')): Promise<RunningHost> {
  return startHost({
    appDir: fixtureDir('sample-app'),
    port: 0,
    connectionString: CONNECTION,
    clock: new VirtualClock(),
    logger: log.logger,
    engineFactory: memoryEngineFactory(engines),
    ...extra,
  });
}

/** A raw HTTP/1.1 exchange: writes `head` (and `body`), returns what came back until the server closed or `waitMs`. */
function raw(url: string, head: string, options: { body?: string; waitMs?: number } = {}): Promise<{ text: string; closed: boolean; ms: number }> {
  const { port } = new URL(url);
  const t0 = Date.now();
  return new Promise((resolve) => {
    const socket = connect(Number(port), '127.0.0.1');
    let text = '';
    let closed = false;
    const done = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve({ text, closed, ms: Date.now() - t0 });
    };
    const timer = setTimeout(done, options.waitMs ?? 3_000);
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      closed = true;
      done();
    });
    socket.write(head);
    if (options.body !== undefined) socket.write(options.body);
  });
}

function statusOf(text: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
}

describe('body limits at the edge', () => {
  let host: RunningHost;
  const engines: MemoryRuntime[] = [];
  before(async () => {
    host = await start({}, engines);
  });
  after(() => host.stop());

  test('an anonymous route refuses a declared 30 MB body before reading it (413, connection closed)', async () => {
    const { port } = new URL(host.url);
    const res = await raw(host.url, `GET /api/hello/x HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Length: 31457280\r\n\r\n`);
    assert.equal(statusOf(res.text), 413, res.text);
    assert.match(res.text, /connection: close/i);
    assert.ok(res.closed, 'the server closes the connection instead of reading 30 MB');
  });

  test('an anonymous trigger takes a 100 KB body, as the Functions host does (was: 413 past 4 KiB)', async () => {
    const pad = 'p'.repeat(100_000);
    const res = await fetch(`${host.url}/api/items/1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pad }) });
    assert.equal(res.status, 201);
    assert.equal(((await res.json()) as { body: { pad: string } }).body.pad.length, pad.length);
    // And a starter hands such an input to the stock DurableClient (the Durable samples' starter pattern).
    const started = await fetch(`${host.url}/api/orchestrators/helloSequence`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pad }) });
    assert.equal(started.status, 202, await started.clone().text());
    const { id } = (await started.json()) as { id: string };
    assert.equal(((await host.engine.getStatus(id))?.input as { pad: string } | undefined)?.pad.length, pad.length);
  });

  test('a function-level trigger takes 1 MiB: a declared 2 MB body is 413 unread', async () => {
    const { port } = new URL(host.url);
    const res = await raw(host.url, `POST /api/secret HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: 2000000\r\n\r\n`);
    assert.equal(statusOf(res.text), 413, res.text);
    assert.match(res.text, new RegExp(`${KEYED_BODY_BYTES} bytes`));
    assert.ok(res.closed);
  });

  test('a body on a route that takes none is 413 without reading it', async () => {
    const { port } = new URL(host.url);
    for (const target of ['GET /api/hello/x', 'HEAD /api/hello/x', 'GET /admin/host/status', `POST ${HOOK}/instances/any/terminate?reason=x`, `DELETE ${HOOK}/instances/any`]) {
      const res = await raw(host.url, `${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: 4000\r\n\r\n{`);
      assert.equal(statusOf(res.text), 413, `${target}: ${res.text}`);
      assert.ok(res.closed, target);
    }
  });

  test('a 10 MB start input on the Durable API is accepted; one over the payload limit is 413 naming the field and the limit, and nothing is started', async () => {
    const fits = await fetch(`${host.url}${HOOK}/orchestrators/helloSequence/big-0`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify('x'.repeat(10 * 1024 * 1024)),
    });
    assert.equal(fits.status, 202);
    const res = await fetch(`${host.url}${HOOK}/orchestrators/helloSequence/big-1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify('x'.repeat(MAX_PAYLOAD_UNITS)),
    }).catch((err: unknown) => err as Error);
    if (res instanceof Response) {
      assert.equal(res.status, 413);
      const body = (await res.json()) as { code: string; message: string };
      assert.equal(body.code, 'PAYLOAD_TOO_LARGE');
      assert.match(body.message, new RegExp(`input: larger than the limit of ${MAX_PAYLOAD_UNITS} characters`));
    }
    assert.equal(engines[0]?.memory.has('big-1'), false);
  });

  test('an event just over the payload limit is 413; one at the limit is accepted', async () => {
    await host.engine.start('helloSequence', { instanceId: 'evt-1' });
    const over = await fetch(`${host.url}${HOOK}/instances/evt-1/raiseEvent/E`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify('y'.repeat(MAX_PAYLOAD_UNITS - 1)),
    });
    assert.equal(over.status, 413);
    assert.match(await over.text(), /eventData: larger than/);
    const fits = await fetch(`${host.url}${HOOK}/instances/evt-1/raiseEvent/E`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify('y'.repeat(MAX_PAYLOAD_UNITS - 2)),
    });
    assert.equal(fits.status, 202);
  });

});

describe('bodies read at once, and timeouts', () => {
  let host: RunningHost;
  before(async () => {
    host = await start({ httpLimits: { concurrentBodies: 2, headersTimeoutMs: 500, requestTimeoutMs: 1_000 } });
  });
  after(() => host.stop());

  test('beyond the bound on bodies being read, a request is answered 503 with Retry-After', async () => {
    const { port } = new URL(host.url);
    const slowHead = `POST /api/items/1 HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{`;
    const slow = [raw(host.url, slowHead, { waitMs: 3_000 }), raw(host.url, slowHead, { waitMs: 3_000 })];
    await new Promise((resolve) => setTimeout(resolve, 200));
    const third = await raw(host.url, slowHead, { waitMs: 1_000 });
    assert.equal(statusOf(third.text), 503, third.text);
    assert.match(third.text, /retry-after: 1/i);
    // The two slow uploads hit the request timeout (1 s): 408 and closed.
    for (const res of await Promise.all(slow)) assert.ok(res.closed && (statusOf(res.text) === 408 || res.text === ''), res.text);
    const after = await fetch(`${host.url}/api/items/1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(after.status, 201, 'slots are released once the slow requests are gone');
    await after.body?.cancel();
  });

  test('headers that never finish are cut off by the headers timeout', async () => {
    const res = await raw(host.url, 'GET /api/hello/x HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ', { waitMs: 4_000 });
    assert.ok(res.closed, 'the server closed the connection');
    assert.ok(res.ms < 3_500, `closed after ${res.ms} ms`);
  });
});

describe('body slots are taken after routing and the key check', () => {
  const HOST_KEY = 'edge-host-key-0123456789';
  const SYSTEM_KEY = 'edge-system-key-0123456789';
  let host: RunningHost;
  let port: string;
  before(async () => {
    host = await start({
      keys: buildHostKeys({ host: [HOST_KEY], system: SYSTEM_KEY }),
      httpLimits: { concurrentBodies: 2, bodyStallMs: 1_500, headersTimeoutMs: 5_000, requestTimeoutMs: 10_000 },
    });
    port = new URL(host.url).port;
  });
  after(() => host.stop());

  const slowHead = (target: string, key = ''): string =>
    `${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: 4000\r\n${key ? `x-functions-key: ${key}\r\n` : ''}\r\n{`;

  test('slow bodies without a key hold no slot: key holders and the Durable webhooks still answer (was: 503)', async () => {
    // Anonymous trickles fill the anonymous gate; keyless ones on keyed routes are refused before any slot is taken.
    const anonymous = [0, 1].map(() => raw(host.url, slowHead('POST /api/items/1'), { waitMs: 1_200 }));
    const unkeyed = Array.from({ length: 16 }, () => raw(host.url, slowHead('POST /api/secret'), { waitMs: 1_200 }));
    const unkeyedHooks = Array.from({ length: 16 }, () => raw(host.url, slowHead(`POST ${HOOK}/orchestrators/helloSequence/x`), { waitMs: 1_200 }));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const third = await raw(host.url, slowHead('POST /api/items/1'), { waitMs: 1_000 });
    assert.equal(statusOf(third.text), 503, 'the anonymous gate itself is full');
    const keyed = await fetch(`${host.url}/api/secret`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-functions-key': HOST_KEY }, body: '{"a":1}' });
    assert.equal(keyed.status, 200, await keyed.text());
    const started = await fetch(`${host.url}${HOOK}/orchestrators/helloSequence/slots-1?code=${SYSTEM_KEY}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '"in"' });
    assert.equal(started.status, 202, await started.text());
    for (const res of [...(await Promise.all(unkeyed)), ...(await Promise.all(unkeyedHooks))]) assert.equal(statusOf(res.text), 401, res.text);
    await Promise.all(anonymous);
  });

  test('the Durable webhooks have a gate of their own: when it is full they answer 503, and keyed triggers still answer', async () => {
    const hook = (id: string): string => slowHead(`POST ${HOOK}/orchestrators/helloSequence/${id}?code=${SYSTEM_KEY}`);
    const holding = [raw(host.url, hook('gate-1'), { waitMs: 1_000 }), raw(host.url, hook('gate-2'), { waitMs: 1_000 })];
    await new Promise((resolve) => setTimeout(resolve, 300));
    const third = await raw(host.url, hook('gate-3'), { waitMs: 1_000 });
    assert.equal(statusOf(third.text), 503, third.text);
    assert.match(third.text, /retry-after: 1/i);
    const keyed = await fetch(`${host.url}/api/secret`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-functions-key': HOST_KEY }, body: '{}' });
    assert.equal(keyed.status, 200);
    await keyed.body?.cancel();
    await Promise.all(holding);
  });

  test('a body that stalls ends with 408 and a closed connection, long before the request timeout', async () => {
    const res = await raw(host.url, slowHead('POST /api/secret', HOST_KEY), { waitMs: 8_000 });
    assert.equal(statusOf(res.text), 408, res.text);
    assert.match(res.text, /body: no byte received for 1500 ms/);
    assert.ok(res.closed);
    assert.ok(res.ms >= 1_400 && res.ms < 5_000, `answered after ${res.ms} ms`);
    const hook = await raw(host.url, slowHead(`POST ${HOOK}/orchestrators/helloSequence/stall-1?code=${SYSTEM_KEY}`), { waitMs: 8_000 });
    assert.equal(statusOf(hook.text), 408, hook.text);
    assert.ok(hook.ms < 5_000, `answered after ${hook.ms} ms`);
  });
});

describe('FUNCTIONS_REQUEST_BODY_SIZE_LIMIT', () => {
  test('sets the body limit of anonymous triggers, read at start-up', async () => {
    const host = await start({ env: { ...process.env, FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: '2000' } });
    try {
      const post = (size: number): Promise<Response> =>
        fetch(`${host.url}/api/items/1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify('q'.repeat(size)) });
      assert.equal((await post(1_500)).status, 201);
      const over = await post(3_000);
      assert.equal(over.status, 413);
      assert.match(await over.text(), /exceeds 2000 bytes/);
    } finally {
      await host.stop();
    }
    for (const bad of ['ten', '-1', '0', '1.5']) {
      await assert.rejects(start({ env: { ...process.env, FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: bad } }), /FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: .* is not a positive whole number/);
    }
  });
});

describe('keyless development mode stays local', () => {
  let host: RunningHost;
  let port: string;
  let log: CapturedLogger;
  const engines: MemoryRuntime[] = [];
  before(async () => {
    log = captureLogger('warn');
    host = await start({}, engines, log);
    port = new URL(host.url).port;
  });
  after(() => host.stop());

  test('a malformed Host is 400 before anything else, with no error logged', async () => {
    for (const bad of ['exa mple', 'a/b', 'x:99999', '[zz]', '']) {
      const res = await raw(host.url, `GET /api/hello/x HTTP/1.1\r\nHost: ${bad}\r\n\r\n`);
      assert.equal(statusOf(res.text), 400, `Host: ${bad} -> ${res.text}`);
    }
    assert.equal(log.lines.filter((l) => l.level >= 50).length, 0, JSON.stringify(log.lines));
  });

  test('only loopback Host names are answered (DNS rebinding): 127.evil.com is not loopback', async () => {
    for (const name of ['evil.com', `evil.com:${port}`, `127.evil.com:${port}`, '127.0.0.1.nip.io', `10.0.0.1:${port}`]) {
      const res = await raw(host.url, `GET /api/hello/x HTTP/1.1\r\nHost: ${name}\r\n\r\n`);
      assert.equal(statusOf(res.text), 403, `Host: ${name} -> ${res.text}`);
      assert.match(res.text, /Host: without keys/);
    }
    for (const name of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, 'LOCALHOST', '127.0.0.2']) {
      const res = await raw(host.url, `GET /api/hello/x HTTP/1.1\r\nHost: ${name}\r\nConnection: close\r\n\r\n`);
      assert.equal(statusOf(res.text), 200, `Host: ${name} -> ${res.text}`);
    }
  });

  test('a cross-site Origin or Sec-Fetch-Site: cross-site is refused (403), and nothing is started', async () => {
    const attempts: Array<Record<string, string>> = [
      { origin: 'http://evil.example' },
      { origin: 'null' },
      { origin: `http://127.evil.com:${port}` },
      { 'sec-fetch-site': 'cross-site' },
    ];
    for (const headers of attempts) {
      const res = await fetch(`${host.url}${HOOK}/orchestrators/helloSequence/xsite-1`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: '{}',
      });
      assert.equal(res.status, 403, JSON.stringify(headers));
      await res.body?.cancel();
    }
    assert.equal(engines[0]?.memory.has('xsite-1'), false);
    const local = await fetch(`${host.url}/api/hello/x`, { headers: { origin: `http://localhost:${port}`, 'sec-fetch-site': 'same-origin' } });
    assert.equal(local.status, 200);
    await local.body?.cancel();
  });

  test('a state-changing request from another local origin (another port) is refused; the host\'s own origin is not (was: 202)', async () => {
    const others = ['http://localhost:1234', `http://127.0.0.1:${Number(port) + 1}`, `https://localhost:${port}`, `http://127.0.0.2:${port}`];
    for (const origin of others) {
      const res = await fetch(`${host.url}${HOOK}/orchestrators/helloSequence/origin-bad`, { method: 'POST', headers: { 'content-type': 'application/json', origin }, body: '{}' });
      assert.equal(res.status, 403, origin);
      assert.match(await res.text(), /Origin: a state-changing request must come from the host's own origin/);
    }
    assert.equal(engines[0]?.memory.has('origin-bad'), false);
    for (const [i, origin] of [`http://127.0.0.1:${port}`, `http://localhost:${port}`].entries()) {
      const res = await fetch(`${host.url}${HOOK}/orchestrators/helloSequence/origin-ok-${i}`, { method: 'POST', headers: { 'content-type': 'application/json', origin }, body: '{}' });
      assert.equal(res.status, 202, origin);
      await res.body?.cancel();
    }
  });

  test('state-changing requests need a JSON content type or no body: a form cannot send them', async () => {
    await host.engine.start('helloSequence', { instanceId: 'form-1' });
    const forms: RequestInit[] = [
      { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1' },
      { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' },
      { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=x' }, body: '--x--' },
      { method: 'POST', body: new Blob(['{}']) }, // no content type at all, but a body
    ];
    for (const init of forms) {
      const res = await fetch(`${host.url}${HOOK}/instances/form-1/terminate?reason=x`, init);
      assert.equal(res.status, 415, JSON.stringify(init.headers));
      await res.body?.cancel();
    }
    assert.equal((await host.engine.getStatus('form-1'))?.runtimeStatus, 'Pending');
    const plain = await fetch(`${host.url}${HOOK}/instances/form-1/terminate?reason=x`, { method: 'POST' });
    assert.equal(plain.status, 202, 'no body, no content type: fine');
  });

  test('without a key the host refuses a listening name that only looks like loopback', async () => {
    await assert.rejects(start({ hostname: '127.evil.com' }), { code: 'KEY_REQUIRED' });
  });
});
