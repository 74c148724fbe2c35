/**
 * hello-events deduplicates by (source, id) over real HTTP on loopback: a redelivered event is answered 2xx
 * (`Processed`) and logged as a duplicate with the time it was first seen; the window's memory stays bounded however
 * many ids arrive; `GET /healthz` answers `ok`.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from '../../src/hello-events/server.js';
import { listenDuringTests } from '../support/loopback.js';
import { DedupWindow } from '../../src/hello-events/dedup-window.js';

/** A pino destination that keeps every JSON line. */
function captureLines(): { write(line: string): void; records(): Record<string, unknown>[] } {
  const lines: string[] = [];
  return {
    write: (line: string) => void lines.push(line),
    records: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe('hello-events: deduplication and /healthz', () => {
  const logs = captureLines();
  const clock = { now: Date.parse('2030-01-01T00:00:00Z') };
  const window = new DedupWindow({ maxEntries: 50, maxAgeMs: 60_000 }, () => clock.now);
  const server = createServer({ logDestination: logs, dedupWindow: window });
  const served = listenDuringTests(server);

  async function postBinary(source: string, id: string): Promise<{ status: number; text: string }> {
    const headers = { 'ce-specversion': '1.0', 'ce-id': id, 'ce-source': source, 'ce-type': 'dev.example.hello', 'content-type': 'application/json' };
    const response = await fetch(`${served.origin}/`, { method: 'POST', headers, body: '{"n":1}' });
    return { status: response.status, text: await response.text() };
  }

  async function postStructured(source: string, id: string): Promise<{ status: number; text: string }> {
    const body = JSON.stringify({ specversion: '1.0', id, source, type: 'dev.example.hello', data: { n: 1 } });
    const response = await fetch(`${served.origin}/`, { method: 'POST', headers: { 'content-type': 'application/cloudevents+json' }, body });
    return { status: response.status, text: await response.text() };
  }

  const duplicatesOf = (id: string) => logs.records().filter((r) => r['duplicate'] === true && (r['event'] as Record<string, unknown>)['id'] === id);
  const receiptsOf = (id: string) => logs.records().filter((r) => r['msg'] === 'event received' && (r['event'] as Record<string, unknown>)['id'] === id);

  it('a redelivered event (same source and id, either mode) is answered Processed and logged as a duplicate', async () => {
    const firstSeen = new Date(clock.now).toISOString();
    assert.deepEqual(await postBinary('/schedules/every-5s', 'tick-1'), { status: 200, text: 'Processed' });
    clock.now += 5_000;
    assert.deepEqual(await postStructured('/schedules/every-5s', 'tick-1'), { status: 200, text: 'Processed' });
    assert.deepEqual(await postBinary('/schedules/every-5s', 'tick-1'), { status: 200, text: 'Processed' });
    assert.equal(receiptsOf('tick-1').length, 1);
    const duplicates = duplicatesOf('tick-1');
    assert.equal(duplicates.length, 2);
    assert.equal(duplicates[0]?.['msg'], `duplicate event tick-1 from /schedules/every-5s (first seen ${firstSeen})`);
    assert.equal(duplicates[0]?.['firstSeen'], firstSeen);
  });

  it('the same id from another source is a new event', async () => {
    await postBinary('/a', 'shared-id');
    await postBinary('/b', 'shared-id');
    assert.equal(receiptsOf('shared-id').length, 2);
    assert.equal(duplicatesOf('shared-id').length, 0);
  });

  it('an id is forgotten after the window\'s time, and then counts as new again', async () => {
    await postBinary('/s', 'late');
    clock.now += 60_000;
    await postBinary('/s', 'late');
    assert.equal(receiptsOf('late').length, 2);
    assert.equal(duplicatesOf('late').length, 0);
  });

  it('memory stays bounded: after 20 times the window\'s count of ids it holds no more than the bound', async () => {
    for (let i = 0; i < 1_000; i += 1) {
      const reply = await postBinary('/flood', `id-${i}`);
      assert.equal(reply.status, 200);
    }
    assert.equal(window.size, 50);
    // The oldest were forgotten (so they count as new), the newest are still known.
    await postBinary('/flood', 'id-0');
    await postBinary('/flood', 'id-999');
    assert.equal(duplicatesOf('id-0').length, 0);
    assert.equal(duplicatesOf('id-999').length, 1);
    assert.equal(window.size, 50);
  });

  it('an id of any length is logged on one line, cut in the message, whole in the fields', async () => {
    const id = `x"${'y'.repeat(10_000)}`;
    await postStructured('/s', id);
    await postStructured('/s', id);
    const [duplicate] = duplicatesOf(id);
    const message = String(duplicate?.['msg']);
    assert.ok(message.length < 400, message);
    assert.match(message, /^duplicate event x\\"yyy.*… from \/s \(first seen /);
    assert.equal((duplicate?.['event'] as Record<string, unknown>)['id'], id);
  });

  it('an id with a control character is no CloudEvents String: refused with 400, never logged', async () => {
    const reply = await postStructured('/s', 'x\ny');
    assert.equal(reply.status, 400);
    assert.match(reply.text, /^id: holds a control character/);
    assert.equal(receiptsOf('x\ny').length + duplicatesOf('x\ny').length, 0);
  });

  it('GET and HEAD /healthz answer 200 ok; other methods 405', async () => {
    const get = await fetch(`${served.origin}/healthz`);
    assert.equal(get.status, 200);
    assert.equal(await get.text(), 'ok');
    assert.equal((await fetch(`${served.origin}/healthz`, { method: 'HEAD' })).status, 200);
    const post = await fetch(`${served.origin}/healthz`, { method: 'POST', body: 'x' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
    await post.text();
  });
});
