/**
 * The samples' HTTP starters on the embedded host, with a host key configured as in production: httpStart's
 * check-status response (every link answers, carrying the Durable system key and never the host key),
 * createHttpManagementPayload as an app hands it out, and httpSyncStart's wait (200 with the output when the
 * orchestration completes within the timeout, 202 with the links when it does not, 500 when it failed).
 * Rewind and restart links are another branch's work and are not followed here.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSamples, sleep, type SamplesEnv } from './samples-env.js';

const HOST_KEY = 'samples-host-key-abcdefghij';
const LINKS = [
  'statusQueryGetUri',
  'sendEventPostUri',
  'terminatePostUri',
  'rewindPostUri',
  'purgeHistoryDeleteUri',
  'restartPostUri',
  'suspendPostUri',
  'resumePostUri',
] as const;
type Payload = Record<(typeof LINKS)[number], string> & { id: string };

let s: SamplesEnv;
before(async () => {
  s = await startSamples('SamplesHttp', { key: HOST_KEY });
});
after(async () => s?.teardown());

async function post(path: string, body?: unknown): Promise<Response> {
  return s.env.fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? '' : JSON.stringify(body),
  });
}

async function statusVia(link: string): Promise<Record<string, unknown>> {
  const response = await fetch(link);
  assert.ok(response.ok, `status link answered ${response.status}`);
  return (await response.json()) as Record<string, unknown>;
}

async function until(link: string, check: (status: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const status = await statusVia(link);
    if (check(status)) return status;
    if (Date.now() > deadline) throw new Error(`status never matched: ${JSON.stringify(status)}`);
    await sleep(25);
  }
}

describe('httpStart: createCheckStatusResponse', () => {
  test('202, Location = statusQueryGetUri, every management link on the host with the system key only', async () => {
    const response = await post('/api/orchestrators/eventCounter', 0);
    assert.equal(response.status, 202);
    const payload = (await response.json()) as Payload;
    assert.equal(response.headers.get('location'), payload.statusQueryGetUri);
    for (const name of LINKS) {
      const link = new URL(payload[name]);
      assert.equal(link.origin, s.env.url, name);
      assert.ok(link.pathname.includes(encodeURIComponent(payload.id)), `${name} names the instance`);
      assert.ok(link.searchParams.get('code'), `${name} carries a key`);
      assert.ok(!payload[name].includes(HOST_KEY), `${name} must not carry the host key`);
    }
    await post(payload.terminatePostUri.replace('{text}', 'test-done'));
  });

  test('each link answers: status, raise event, suspend, resume, terminate, purge', async () => {
    const payload = (await (await post('/api/orchestrators/eventCounter', 1)).json()) as Payload;
    const status = await until(payload.statusQueryGetUri, (x) => x.runtimeStatus === 'Running');
    assert.equal(status.instanceId, payload.id);
    assert.equal(status.name, 'eventCounter');

    const raised = await post(payload.sendEventPostUri.replace('{eventName}', 'add'), 41);
    assert.ok(raised.ok, `raise event answered ${raised.status}`);
    await until(payload.statusQueryGetUri, (x) => (x.customStatus as { total?: number } | null)?.total === 42);

    assert.ok((await post(payload.suspendPostUri.replace('{text}', 'pause'))).ok);
    await until(payload.statusQueryGetUri, (x) => x.runtimeStatus === 'Suspended');
    assert.ok((await post(payload.resumePostUri.replace('{text}', 'go-on'))).ok);
    await until(payload.statusQueryGetUri, (x) => x.runtimeStatus === 'Running');

    assert.ok((await post(payload.terminatePostUri.replace('{text}', 'enough'))).ok);
    const ended = await until(payload.statusQueryGetUri, (x) => x.runtimeStatus === 'Terminated');
    assert.equal(ended.output, 'enough');

    const purged = await fetch(payload.purgeHistoryDeleteUri, { method: 'DELETE' });
    assert.ok(purged.ok, `purge answered ${purged.status}`);
    assert.deepEqual(await purged.json(), { instancesDeleted: 1 });
    await assert.rejects(s.client.getStatus(payload.id), /replied with HTTP 404/);
  });

  test('the links do not open without their key', async () => {
    const payload = (await (await post('/api/orchestrators/sayHelloWithActivity', 'Kyiv')).json()) as Payload;
    const bare = new URL(payload.statusQueryGetUri);
    bare.searchParams.delete('code');
    assert.ok(!(await fetch(bare)).ok);
    const withHostKey = new URL(bare);
    withHostKey.searchParams.set('code', HOST_KEY);
    assert.ok(!(await fetch(withHostKey)).ok, 'the host key does not open the Durable webhooks');
  });
});

describe('createHttpManagementPayload', () => {
  test('as an app hands it out: the same links as the check-status response, and they work', async () => {
    const started = (await (await post('/api/orchestrators/sayHelloWithActivity', 'Riga')).json()) as Payload;
    const response = await s.env.fetch(`/api/instances/${encodeURIComponent(started.id)}/payload`);
    assert.equal(response.status, 200);
    const payload = (await response.json()) as Payload;
    assert.deepEqual(payload, started);
    assert.deepEqual(s.client.createHttpManagementPayload(started.id), started, 'the test-side client agrees');
    const done = await until(payload.statusQueryGetUri, (x) => x.runtimeStatus === 'Completed');
    assert.equal(done.output, 'Hello Riga');
  });
});

describe('httpSyncStart: waitForCompletionOrCreateCheckStatusResponse', () => {
  test('completes within the timeout: 200 with the output as the body', async () => {
    const response = await post('/api/orchestrators/wait/helloSequence?timeout=10000&retryInterval=50');
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /application\/json/);
    assert.deepEqual(await response.json(), ['Hello Tokyo', 'Hello Seattle', 'Hello Cairo']);
  });

  test('does not complete within the timeout: 202 with the management links, and the instance runs on', async () => {
    const started = Date.now();
    const response = await post('/api/orchestrators/wait/sleepADay?timeout=400&retryInterval=100');
    assert.equal(response.status, 202);
    assert.ok(Date.now() - started >= 400, 'waited for the timeout');
    const payload = (await response.json()) as Payload;
    assert.equal(response.headers.get('location'), payload.statusQueryGetUri);
    for (const name of LINKS) assert.equal(typeof payload[name], 'string', name);
    assert.equal((await statusVia(payload.statusQueryGetUri)).runtimeStatus, 'Running');
    assert.ok((await post(payload.terminatePostUri.replace('{text}', 'test-done'))).ok);
  });

  test('fails within the timeout: 500 with the failed status as the body', async () => {
    const response = await post('/api/orchestrators/wait/backupSiteContent?timeout=10000&retryInterval=50');
    assert.equal(response.status, 500);
    const status = (await response.json()) as Record<string, unknown>;
    assert.equal(status.runtimeStatus, 'Failed');
    assert.equal(status.name, 'backupSiteContent');
    assert.match(String(status.output), /A directory input is required\./);
  });
});
