/**
 * The Durable HTTP API's answers to bad input mean what they say: a malformed continuation token is a 400 (not a
 * storage outage), a payload the task hub cannot store is a 413, create-and-wait is bounded and stops when the caller
 * leaves, names and ids are checked before they reach storage.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { describe, test } from 'node:test';
import { SystemClock } from '../../../src/durable/clock/system-clock.js';
import { MAX_PAYLOAD_UNITS } from '../../../src/durable/storage-limits.js';
import { PayloadTooLargeError } from '../../../src/durable/errors.js';
import type { InstanceQuery, InstanceStatus, StartOptions } from '../../../src/durable/engine-api.js';
import { MemoryEngine } from '../../support/memory-engine.js';
import { call, useServedApi } from './harness.js';


/** Counts what reaches the engine, and can be told to fail as the real engine or storage would. */
class CountingEngine extends MemoryEngine {
  statusReads = 0;
  queries: InstanceQuery[] = [];
  failStartWith: Error | undefined;

  override async getStatus(...args: Parameters<MemoryEngine['getStatus']>): Promise<InstanceStatus | undefined> {
    this.statusReads++;
    return super.getStatus(...args);
  }

  override async query(query: InstanceQuery): Promise<{ instances: InstanceStatus[]; continuationToken?: string }> {
    this.queries.push(query);
    return super.query(query);
  }

  override async start(name: string, options: StartOptions): Promise<string> {
    if (this.failStartWith) throw this.failStartWith;
    return super.start(name, options);
  }
}

describe('Durable HTTP API: bad input', () => {
  const engine = new CountingEngine('BadInputHub');
  const served = useServedApi(engine, { clock: new SystemClock() });

  test('a garbage continuation token (header or query) is a 400 naming it, and never reaches storage', async () => {
    const garbage = ['%%%', 'bm90IGpzb24=', Buffer.from('{"nextPartitionKey":1}').toString('base64'), Buffer.from('{"x":"y"}').toString('base64'),
      Buffer.from('{"nextPartitionKey":"a/b"}').toString('base64'), 'A'.repeat(5000), Buffer.from('[]').toString('base64')];
    for (const token of garbage) {
      const before = engine.queries.length;
      const res = await call(`${served.hook}/instances`, { headers: { 'x-ms-continuation-token': token } });
      assert.equal(res.status, 400, token);
      assert.match(res.text, /x-ms-continuation-token: /);
      assert.equal(engine.queries.length, before, 'storage was not asked');
    }
    const viaQuery = await call(`${served.hook}/instances?continuationToken=garbage!`);
    assert.equal(viaQuery.status, 400);
    assert.match(viaQuery.text, /continuationToken: /);
    const good = Buffer.from(JSON.stringify({ nextPartitionKey: 'a', nextRowKey: 'b' })).toString('base64');
    assert.equal((await call(`${served.hook}/instances`, { headers: { 'x-ms-continuation-token': good } })).status, 200);
  });

  test('the engine refusing a payload (PayloadTooLargeError) is a 413 that names the field, not a 500', async () => {
    engine.failStartWith = new PayloadTooLargeError('input', 200_000, MAX_PAYLOAD_UNITS);
    try {
      const res = await call(`${served.hook}/orchestrators/Big/big-engine`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '1' });
      assert.equal(res.status, 413);
      assert.match(res.text, new RegExp(`input: 200000 characters of JSON; at most ${MAX_PAYLOAD_UNITS}`));
    } finally {
      engine.failStartWith = undefined;
    }
  });

  test('a storage 413 (RestError statusCode 413) is a 413', async () => {
    engine.failStartWith = Object.assign(new Error('The request body is too large'), { statusCode: 413, code: 'RequestBodyTooLarge' });
    try {
      const res = await call(`${served.hook}/orchestrators/Big/big-storage`, { method: 'POST' });
      assert.equal(res.status, 413);
    } finally {
      engine.failStartWith = undefined;
    }
  });

  test('create-and-wait with pollingInterval=0 polls at most every 100 ms', async () => {
    const before = engine.statusReads;
    const t0 = Date.now();
    const res = await call(`${served.hook}/orchestrators/Waits/wait-1?timeout=1&pollingInterval=0`, { method: 'POST' });
    assert.equal(res.status, 202);
    const elapsed = Date.now() - t0;
    const reads = engine.statusReads - before;
    assert.ok(elapsed >= 900, `answered after ${elapsed} ms`);
    assert.ok(reads <= 12, `${reads} status reads in ${elapsed} ms`);
  });

  test('create-and-wait stops polling when the caller goes away', async () => {
    const url = new URL(`${served.hook}/orchestrators/Waits/wait-2?timeout=15&pollingInterval=0.1`);
    await new Promise<void>((resolve) => {
      const req = request(url, { method: 'POST' });
      req.on('error', () => resolve());
      req.end();
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 400);
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const after = engine.statusReads;
    await new Promise((resolve) => setTimeout(resolve, 600));
    assert.equal(engine.statusReads, after, 'no status reads after the caller left');
  });

  test('ids, names and reasons are checked before they reach storage', async () => {
    await engine.start('Named', { instanceId: 'named-1' });
    const cases: Array<[string, RequestInit, RegExp]> = [
      [`${served.hook}/instances/${'i'.repeat(300)}`, {}, /instanceId: longer than 256/],
      [`${served.hook}/instances/a%01b`, {}, /instanceId: must not contain/],
      [`${served.hook}/instances/named-1/raiseEvent/${'e'.repeat(1100)}`, { method: 'POST' }, /eventName: longer than 1024/],
      [`${served.hook}/instances/named-1/raiseEvent/a%00b`, { method: 'POST' }, /eventName: must not contain control/],
      [`${served.hook}/instances/named-1/terminate?reason=${'r'.repeat(1100)}`, { method: 'POST' }, /reason: longer than 1024/],
      [`${served.hook}/orchestrators/${'f'.repeat(1100)}`, { method: 'POST' }, /functionName: longer than 1024/],
      [`${served.hook}/instances?instanceIdPrefix=${'p'.repeat(300)}`, {}, /instanceIdPrefix: /],
      [`${served.hook}/instances?createdTimeFrom=%2B275760-09-13T00:00:00Z`, { method: 'DELETE' }, /createdTimeFrom: must be between the years 1601 and 9999/],
      [`${served.hook}/orchestrators/Waits/w3?timeout=1&pollingInterval=2`, { method: 'POST' }, /pollingInterval: must not exceed timeout/],
    ];
    for (const [url, init, message] of cases) {
      const res = await call(url, init);
      assert.equal(res.status, 400, `${url.slice(0, 120)} -> ${res.status} ${res.text}`);
      assert.match(res.text, message);
    }
    assert.equal((await engine.getStatus('named-1'))?.runtimeStatus, 'Pending');
  });

  test('read-only parameters that do not parse are ignored, as the extension reads them; never sent to storage', async () => {
    await call(`${served.hook}/instances?createdTimeFrom=%2B275760-09-13T00:00:00Z&top=abc&runtimeStatus=Sleeping`);
    assert.deepEqual(engine.queries.at(-1), { top: 100, showInput: true });
    const waited = await call(`${served.hook}/orchestrators/Waits/w4?timeout=abc&pollingInterval=1`, { method: 'POST' });
    assert.equal(waited.status, 202, 'no wait: the check-status answer at once');
  });

  test('top beyond the table service page size is clamped, not passed on', async () => {
    const res = await call(`${served.hook}/instances?top=999999`);
    assert.equal(res.status, 200);
    assert.equal(engine.queries.at(-1)?.top, 1000);
  });
});
