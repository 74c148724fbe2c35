/**
 * Attackers at the HTTP edge while a 1 s schedule runs (host + Azurite + a recording sink): one without a key (a web
 * page or a careless local user against the keyless development host), one holding a function key against a keyed
 * host. Whatever they try, no tick is missed, no id is reused, the schedule stays Running and the host's memory stays
 * bounded. (A forged schedule start is the schedule's own check and is not repeated here.)
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { test } from 'node:test';
import { checkStream } from '../support/delivery-checks.js';
import { startScheduledHost, type ScheduledHost } from '../support/scheduled-host.js';
import { MAX_PAYLOAD_UNITS } from '../../src/durable/storage-limits.js';

const HOOK = '/runtime/webhooks/durabletask';
const FUNCTION_KEY = 'attacker-function-key-0123456789';
const SYSTEM_KEY = 'system-key-kept-from-the-attacker-42';

async function statusOf(url: string, init: RequestInit = {}): Promise<number | 'refused'> {
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(20_000) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 'refused'; // The server closed the connection mid-upload: a refusal too.
  }
}

/** Streams `mb` MB of body with any method (fetch refuses a body on GET): the status, or 'refused' if cut off. */
function bigBody(url: string, method: string, mb: number, headers: Record<string, string> = {}): Promise<number | 'refused'> {
  return new Promise((resolve) => {
    const length = headers['transfer-encoding'] ? {} : { 'content-length': String(mb * 1024 * 1024) };
    const req = request(url, { method, headers: { ...headers, ...length } });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve('refused'));
    const chunk = Buffer.alloc(1024 * 1024, 0x20);
    let sent = 0;
    let answered = false;
    req.once('response', () => (answered = true));
    const pump = (): void => {
      while (sent < mb && !answered) {
        sent++;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      req.end();
    };
    // The first megabyte, then a moment for an answer given on the headers alone (a declared length over the limit)
    // before the rest: an attacker would push on, but then the client races the server's reset and may never read
    // the 413 it was sent. A server that reads instead of answering gets the whole body, as before.
    sent++;
    req.write(chunk);
    setTimeout(pump, 1_000);
  });
}

/** A request with a Host header fetch will not send (DNS rebinding, malformed). Returns the status line's code. */
function rawStatus(baseUrl: string, head: string): Promise<number> {
  const { port } = new URL(baseUrl);
  return new Promise((resolve) => {
    const socket = connect(Number(port), '127.0.0.1');
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0)));
    socket.end(head);
  });
}

const json = { 'content-type': 'application/json' };

/** The schedule is intact: Running, a tick in the last few seconds, and the stream has no gap and no reused id. */
async function assertScheduleIntact(target: ScheduledHost, since: number, withKey: Record<string, string> = {}): Promise<void> {
  const countBefore = target.sink.sequences().length;
  await target.sink.waitFor(target.sink.events.length + 3, 15_000);
  assert.ok(target.sink.sequences().length >= countBefore + 3, 'ticks keep coming after the attack');
  const summary = checkStream(target.sink.events, 1_000);
  const during = target.sink.events.filter((e) => e.receivedAt >= since).length;
  assert.ok(during >= 3, `${during} events arrived during the attack`);
  assert.ok(summary.distinct >= 5);
  const res = await fetch(`${target.host.url}/api/schedules/default`, { headers: withKey });
  const body = (await res.json()) as { status: string; instance: { runtimeStatus: string } };
  assert.deepEqual([body.status, body.instance.runtimeStatus], ['running', 'Running']);
}

test('keyless development host: an attacker without a key changes nothing and cannot exhaust memory', { timeout: 180_000 }, async () => {
  const target = await startScheduledHost('AttackKeyless');
  const { host } = target;
  try {
    const since = Date.now();
    const baseline = target.rssMb();
    const port = new URL(host.url).port;

    // 16 parallel 30 MB bodies on the anonymous probe (was: +330 MB RSS).
    const probes = await Promise.all(Array.from({ length: 16 }, () => bigBody(`${host.url}/api/healthz`, 'GET', 30, json)));
    // The host answers before the upload ends and closes the connection: the client may see the reset first.
    assert.ok(probes.every((s) => s === 413 || s === 503 || s === 'refused'), `probes: ${probes.join(',')}`);
    assert.ok(probes.filter((s) => s === 413).length >= 8, `probes: ${probes.join(',')}`);

    // Durable payloads over the limit (16 Mi characters; 10 MB ones are stored in blobs): an event to the schedule, a
    // start input (was: 500 / stuck Pending).
    assert.ok([413, 'refused'].includes(await statusOf(`${host.url}${HOOK}/instances/schedule-default/raiseEvent/anything`, {
      method: 'POST', headers: json, body: JSON.stringify('e'.repeat(MAX_PAYLOAD_UNITS)),
    })));
    assert.ok([413, 'refused'].includes(await statusOf(`${host.url}${HOOK}/orchestrators/scheduleOrchestrator/huge-start`, {
      method: 'POST', headers: json, body: JSON.stringify({ pad: 's'.repeat(MAX_PAYLOAD_UNITS) }),
    })));
    assert.equal(await statusOf(`${host.url}${HOOK}/instances/huge-start`), 404, 'nothing was stored');

    // A web page: DNS rebinding, cross-site Origin, Sec-Fetch-Site, a form post; a malformed Host.
    const terminate = `${HOOK}/instances/schedule-default/terminate?reason=pwned`;
    assert.equal(await rawStatus(host.url, `POST ${terminate} HTTP/1.1\r\nHost: attacker.example:${port}\r\nContent-Length: 0\r\n\r\n`), 403);
    assert.equal(await rawStatus(host.url, `POST ${terminate} HTTP/1.1\r\nHost: 127.attacker.example:${port}\r\nContent-Length: 0\r\n\r\n`), 403);
    assert.equal(await rawStatus(host.url, `GET /api/schedules HTTP/1.1\r\nHost: bad host\r\n\r\n`), 400);
    assert.equal(await statusOf(`${host.url}${terminate}`, { method: 'POST', headers: { origin: 'https://attacker.example' } }), 403);
    assert.equal(await statusOf(`${host.url}${terminate}`, { method: 'POST', headers: { 'sec-fetch-site': 'cross-site' } }), 403);
    assert.equal(await statusOf(`${host.url}/api/schedules/default/pause`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'x=1',
    }), 415);

    // Create-and-wait that would spin on storage: bounded, and abandoned when the caller leaves.
    const t0 = Date.now();
    const waited = await statusOf(`${host.url}${HOOK}/orchestrators/noSuchOrchestrator/spin-1?timeout=2&pollingInterval=0`, { method: 'POST' });
    assert.ok(typeof waited === 'number' && waited < 500, `create-and-wait answered ${waited}`);
    assert.ok(Date.now() - t0 < 10_000);
    await statusOf(`${host.url}${HOOK}/orchestrators/noSuchOrchestrator/spin-2?timeout=15&pollingInterval=0`, {
      method: 'POST', signal: AbortSignal.timeout(500),
    });

    // Garbage continuation tokens: a quick 400, not 21 s of retries and a 500.
    for (const token of ['garbage', 'eyJub3QiOiJhIHRva2VuIn0=', '%%%']) {
      const t1 = Date.now();
      assert.equal(await statusOf(`${host.url}${HOOK}/instances`, { headers: { 'x-ms-continuation-token': token } }), 400);
      assert.ok(Date.now() - t1 < 2_000);
    }

    await assertScheduleIntact(target, since);
    const grown = target.rssMb() - baseline;
    assert.ok(grown < 100, `host RSS grew by ${grown.toFixed(0)} MB (baseline ${baseline.toFixed(0)} MB)`);
    const errors = host.records().filter((r) => Number(r.level) >= 50);
    assert.deepEqual(errors.map((r) => r.msg), [], 'no error logged for any of it');
  } finally {
    await target.stop();
  }
});

test('keyed host: a function key opens the management API only; the system endpoints stay shut', { timeout: 180_000 }, async () => {
  const target = await startScheduledHost('AttackKeyed', { FUNCTIONS_HOST_KEY: FUNCTION_KEY, FUNCTIONS_SYSTEM_KEY: SYSTEM_KEY });
  const { host } = target;
  const withKey = { 'x-functions-key': FUNCTION_KEY };
  try {
    const since = Date.now();
    const baseline = target.rssMb();

    // Without a key: nothing but the probe.
    assert.equal(await statusOf(`${host.url}/api/schedules`), 401);
    assert.equal(await statusOf(`${host.url}/api/schedules/default/pause`, { method: 'POST' }), 401);
    assert.equal(await statusOf(`${host.url}${HOOK}/instances`), 401);

    // With the function key: the system endpoints (terminate, purge, raise, start, list) and admin are refused.
    for (const [path, method] of [
      [`${HOOK}/instances/schedule-default/terminate?reason=x`, 'POST'],
      [`${HOOK}/instances/schedule-default/suspend?reason=x`, 'POST'],
      [`${HOOK}/instances/schedule-default`, 'DELETE'],
      [`${HOOK}/instances?createdTimeFrom=2000-01-01T00:00:00Z`, 'DELETE'],
      [`${HOOK}/instances/schedule-default/raiseEvent/x`, 'POST'],
      [`${HOOK}/orchestrators/scheduleOrchestrator/forged`, 'POST'],
      [`${HOOK}/instances`, 'GET'],
      ['/admin/host/status', 'GET'],
    ] as const) {
      assert.equal(await statusOf(`${host.url}${path}`, { method, headers: { ...withKey, ...json } }), 401, `${method} ${path}`);
      assert.equal(await statusOf(`${host.url}${path}${path.includes('?') ? '&' : '?'}code=${FUNCTION_KEY}`, { method }), 401, `${method} ${path} (code=)`);
    }

    // Oversized bodies on the function routes and the probe; more bodies at once than the bound.
    assert.ok([413, 'refused'].includes(await statusOf(`${host.url}/api/schedules/default/pause`, {
      method: 'POST', headers: { ...withKey, ...json }, body: JSON.stringify('p'.repeat(MAX_PAYLOAD_UNITS)),
    })));
    const probes = await Promise.all(Array.from({ length: 16 }, () => bigBody(`${host.url}/api/healthz`, 'GET', 30)));
    // The host answers before the upload ends and closes the connection: the client may see the reset first.
    assert.ok(probes.every((s) => s === 413 || s === 503 || s === 'refused'), `probes: ${probes.join(',')}`);
    assert.ok(probes.filter((s) => s === 413).length >= 8, `probes: ${probes.join(',')}`);
    // Chunked (no length declared): reading stops at the anonymous limit.
    const chunked = await Promise.all(Array.from({ length: 4 }, () => bigBody(`${host.url}/api/healthz`, 'POST', 8, { 'transfer-encoding': 'chunked' })));
    assert.ok(chunked.every((s) => s === 413 || s === 503 || s === 405 || s === 'refused'), `chunked: ${chunked.join(',')}`);

    // What the key is for still works, and its answers hold no system key.
    const own = await fetch(`${host.url}/api/schedules/default`, { headers: withKey });
    assert.equal(own.status, 200);
    assert.equal((await own.text()).includes(SYSTEM_KEY), false);

    await assertScheduleIntact(target, since, withKey);
    const grown = target.rssMb() - baseline;
    assert.ok(grown < 100, `host RSS grew by ${grown.toFixed(0)} MB (baseline ${baseline.toFixed(0)} MB)`);
    assert.equal(host.lines.some((l) => l.includes(FUNCTION_KEY) || l.includes(SYSTEM_KEY)), false, 'no key in the log');
  } finally {
    await target.stop();
  }
});
