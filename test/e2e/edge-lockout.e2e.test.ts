/**
 * Issue #16, finding 1, against the real app in a keyed host process on Azurite: 16 sockets that trickle a body (a
 * byte every 2 s) to the anonymous probe and to keyed routes without the key lock nobody out; a key holder's PUT and
 * pause (and the app's own DurableClient calls behind them) still answer, and a body that stalls gets 408 in seconds.
 * Before the fix every body took one of 16 shared slots before routing and the key check: the PUT and pause got 503.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { startScheduledHost } from '../support/scheduled-host.js';
import { BODY_STALL_MS } from '../../src/host/http/edge-limits.js';

const HOST_KEY = 'edge-lockout-host-key-0123456789';
const SYSTEM_KEY = 'edge-lockout-system-key-0123456789';

interface Trickle {
  /** What came back so far (the status line, if any). */
  text(): string;
  stop(): void;
}

/** A request whose headers declare `length` bytes of body, sent one byte every `everyMs`. */
function trickle(baseUrl: string, head: string, everyMs: number): Trickle {
  const socket: Socket = connect(Number(new URL(baseUrl).port), '127.0.0.1');
  let text = '';
  socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
  socket.on('error', () => undefined);
  socket.write(head);
  const timer = setInterval(() => socket.destroyed || socket.write('x'), everyMs);
  return {
    text: () => text,
    stop() {
      clearInterval(timer);
      socket.destroy();
    },
  };
}

/** Writes `head` and part of a body, then nothing: the status and when the connection closed. */
function stalled(baseUrl: string, head: string): Promise<{ status: number; ms: number; text: string }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const socket = connect(Number(new URL(baseUrl).port), '127.0.0.1');
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), ms: Date.now() - t0, text }));
    socket.write(head);
  });
}

const statusCode = (text: string): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);

test('16 slow sockets without a key lock no key holder out; a stalled body is 408', { timeout: 180_000 }, async () => {
  const target = await startScheduledHost('EdgeLockout', { FUNCTIONS_HOST_KEY: HOST_KEY, FUNCTIONS_SYSTEM_KEY: SYSTEM_KEY });
  const { host } = target;
  const port = new URL(host.url).port;
  const json = { 'content-type': 'application/json', 'x-functions-key': HOST_KEY };
  const head = (target: string): string =>
    `${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: 4000\r\n\r\n`;
  const attackers: Trickle[] = [];
  try {
    // The attack (GET /api/healthz, Content-Length: 4000, a byte every 2 s), and the same on keyed routes
    // without a key: the management API and the Durable webhooks.
    for (let i = 0; i < 16; i++) {
      attackers.push(trickle(host.url, head('GET /api/healthz'), 2_000));
      attackers.push(trickle(host.url, head('POST /api/schedules/default/pause'), 2_000));
      attackers.push(trickle(host.url, head('POST /runtime/webhooks/durabletask/orchestrators/scheduleOrchestrator/x'), 2_000));
    }
    await new Promise((resolve) => setTimeout(resolve, 2_500));

    const put = await fetch(`${host.url}/api/schedules/lockout-probe`, { method: 'PUT', headers: json, body: JSON.stringify({ every: '1h' }) });
    assert.ok([200, 201].includes(put.status), `PUT answered ${put.status}: ${await put.text()}`);
    const pause = await fetch(`${host.url}/api/schedules/default/pause`, { method: 'POST', headers: json, body: JSON.stringify({ note: 'under attack' }) });
    assert.equal(pause.status, 202, await pause.text());
    // `code` is the key's query parameter on every route, the list included (was: 400 unknown field).
    const listed = await fetch(`${host.url}/api/schedules?code=${HOST_KEY}`);
    const listedText = await listed.text();
    assert.equal(listed.status, 200, listedText);
    const names = (JSON.parse(listedText) as { schedules: Array<{ name: string }> }).schedules.map((s) => s.name);
    assert.ok(names.includes('lockout-probe'), names.join(','));

    // None of the attackers held a slot: the probe refuses a body on GET, the others have no key.
    const answers = attackers.map((a) => statusCode(a.text()));
    assert.deepEqual([...new Set(answers)].sort(), [401, 413], answers.join(','));

    // A key holder's body that stops coming: 408 after the stall limit, long before the 30 s request timeout.
    const stall = await stalled(host.url, `PUT /api/schedules/stalled HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nx-functions-key: ${HOST_KEY}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"ev`);
    assert.equal(stall.status, 408, stall.text);
    assert.ok(stall.ms >= BODY_STALL_MS - 200 && stall.ms < BODY_STALL_MS + 4_000, `408 after ${stall.ms} ms`);
  } finally {
    for (const a of attackers) a.stop();
    await target.stop();
  }
});
