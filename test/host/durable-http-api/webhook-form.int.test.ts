/**
 * The public webhook form of the Durable HTTP API, checked with plain HTTP (status codes, headers, bodies) and with
 * the stock client in its legacy form (management url templates instead of rpcBaseUrl).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import * as df from 'durable-functions';
import { MemoryEngine } from '../../support/memory-engine.js';
import { call, HOOK, serveApi, useServedApi } from './harness.js';


describe('Durable HTTP API webhook form', () => {
  const engine = new MemoryEngine('WebhookHub');
  const served = useServedApi(engine);

  test('clientBindingData has the extension shape, with INSTANCEID templates and the RPC base', () => {
    const b = served.baseUrl;
    const q = 'taskHub=WebhookHub&connection=AzureWebJobsStorage';
    const i = `${b}${HOOK}/instances/INSTANCEID`;
    assert.deepEqual(served.api.clientBindingData(), {
      taskHubName: 'WebhookHub',
      creationUrls: {
        createNewInstancePostUri: `${b}${HOOK}/orchestrators/{functionName}[/{instanceId}]`,
        createAndWaitOnNewInstancePostUri: `${b}${HOOK}/orchestrators/{functionName}[/{instanceId}]?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}`,
      },
      managementUrls: {
        id: 'INSTANCEID',
        statusQueryGetUri: `${i}?${q}`,
        sendEventPostUri: `${i}/raiseEvent/{eventName}?${q}`,
        terminatePostUri: `${i}/terminate?reason={text}&${q}`,
        rewindPostUri: `${i}/rewind?reason={text}&${q}`,
        purgeHistoryDeleteUri: `${i}?${q}`,
        restartPostUri: `${i}/restart?${q}`,
        suspendPostUri: `${i}/suspend?reason={text}&${q}`,
        resumePostUri: `${i}/resume?reason={text}&${q}`,
      },
      baseUrl: `${b}${HOOK}`,
      requiredQueryStringParameters: '',
      rpcBaseUrl: `${b}${HOOK}/`,
    });
  });

  test('POST orchestrators/{name}/{id} answers 202 with the management payload, Location and Retry-After', async () => {
    const res = await call(`${served.hook}/orchestrators/Greeter/wh-start-1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ hello: 'world' }),
    });
    assert.equal(res.status, 202);
    const payload = res.json() as Record<string, string>;
    assert.equal(payload.id, 'wh-start-1');
    const instance = `${served.hook}/instances/wh-start-1`;
    assert.equal(payload.statusQueryGetUri, `${instance}?taskHub=WebhookHub&connection=AzureWebJobsStorage`);
    for (const key of ['sendEventPostUri', 'terminatePostUri', 'purgeHistoryDeleteUri', 'suspendPostUri', 'resumePostUri', 'restartPostUri', 'rewindPostUri']) {
      assert.ok(payload[key]?.startsWith(instance), key);
    }
    assert.equal(res.headers.get('location'), payload.statusQueryGetUri);
    assert.equal(res.headers.get('retry-after'), '10');
    assert.deepEqual((await engine.getStatus('wh-start-1'))?.input, { hello: 'world' });
  });

  test('links point at the origin the caller used (Host header), as the extension builds them from the request', async () => {
    // fetch may not set Host; node:http may.
    const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${served.hook}/orchestrators/Greeter/wh-host-1`, { method: 'POST', headers: { host: 'events.example.test:8080' } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(status, 202);
    const payload = JSON.parse(body) as { statusQueryGetUri: string };
    assert.ok(payload.statusQueryGetUri.startsWith(`http://events.example.test:8080${HOOK}/instances/wh-host-1?`));
  });

  test('start without a body has no input; the body is JSON whatever its content-type (as the extension reads it); bad JSON is 400 naming the input', async () => {
    assert.equal((await call(`${served.hook}/orchestrators/Greeter/wh-empty`, { method: 'POST' })).status, 202);
    assert.equal((await engine.getStatus('wh-empty'))?.input, undefined);

    const noType = await call(`${served.hook}/orchestrators/Greeter/wh-notype`, { method: 'POST', body: '[1,2]', headers: { 'content-type': '' } });
    assert.equal(noType.status, 202);
    assert.deepEqual((await engine.getStatus('wh-notype'))?.input, [1, 2]);

    const bad = await call(`${served.hook}/orchestrators/Greeter/wh-bad`, { method: 'POST', body: '{"a":', headers: { 'content-type': 'application/json' } });
    assert.equal(bad.status, 400);
    const body = bad.json() as { code: string; message: string };
    assert.equal(body.code, 'INVALID_JSON');
    assert.match(body.message, /^input: invalid JSON content/);
    assert.equal((body as unknown as { Message: string }).Message, 'Invalid JSON content');
    assert.equal(engine.has('wh-bad'), false);

    const text = await call(`${served.hook}/orchestrators/Greeter/wh-text`, { method: 'POST', body: 'hi', headers: { 'content-type': 'text/plain' } });
    assert.equal(text.status, 400);
    const jsonAsText = await call(`${served.hook}/orchestrators/Greeter/wh-text`, { method: 'POST', body: '{"a":1}', headers: { 'content-type': 'text/plain' } });
    assert.equal(jsonAsText.status, 202);
    assert.deepEqual((await engine.getStatus('wh-text'))?.input, { a: 1 });
  });

  test('start on a live id is 409; an id with control characters is 400', async () => {
    await call(`${served.hook}/orchestrators/Greeter/wh-dup`, { method: 'POST' });
    const dup = await call(`${served.hook}/orchestrators/Greeter/wh-dup`, { method: 'POST' });
    assert.equal(dup.status, 409);
    assert.equal((dup.json() as { code: string }).code, 'INSTANCE_EXISTS');
    const bad = await call(`${served.hook}/orchestrators/Greeter/bad%01id`, { method: 'POST' });
    assert.equal(bad.status, 400);
    assert.equal((bad.json() as { code: string }).code, 'INVALID_INSTANCE_ID');
  });

  test('status codes follow the runtime status: 202 live (Location, Retry-After 5), 200 ended, 500 only on request', async () => {
    await engine.start('S', { instanceId: 'wh-status' });
    const url = `${served.hook}/instances/wh-status?taskHub=WebhookHub&connection=AzureWebJobsStorage`;
    for (const live of ['Pending', 'Running', 'Suspended', 'ContinuedAsNew'] as const) {
      engine.set('wh-status', { runtimeStatus: live });
      const res = await call(url);
      assert.equal(res.status, 202, live);
      assert.equal(res.headers.get('location'), url);
      assert.equal(res.headers.get('retry-after'), '5');
      assert.equal((res.json() as { runtimeStatus: string }).runtimeStatus, live);
    }
    for (const ended of ['Completed', 'Terminated', 'Canceled', 'Failed'] as const) {
      engine.set('wh-status', { runtimeStatus: ended });
      const res = await call(url);
      assert.equal(res.status, 200, ended);
      assert.equal(res.headers.get('location'), null);
    }
    assert.equal((await call(`${url}&returnInternalServerErrorOnFailure=true`)).status, 500);
    engine.set('wh-status', { runtimeStatus: 'Completed' });
    assert.equal((await call(`${url}&returnInternalServerErrorOnFailure=true`)).status, 200);
    assert.equal((await call(`${served.hook}/instances/wh-nobody`)).status, 404);
  });

  test('the status body has every field of the extension payload, times to the second', async () => {
    await engine.start('Shape', { instanceId: 'wh-shape', input: { a: 1 } });
    const body = (await call(`${served.hook}/instances/wh-shape`)).json() as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).sort(), ['createdTime', 'customStatus', 'input', 'instanceId', 'lastUpdatedTime', 'name', 'output', 'runtimeStatus']);
    assert.match(String(body.createdTime), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.deepEqual([body.name, body.input, body.output, body.customStatus], ['Shape', { a: 1 }, null, null]);
  });

  test('list pages with top and x-ms-continuation-token, filters by prefix and status', async () => {
    for (const id of ['page-a', 'page-b', 'page-c', 'page-d', 'page-e']) await engine.start('Pager', { instanceId: id });
    engine.set('page-c', { runtimeStatus: 'Completed' });
    const first = await call(`${served.hook}/instances?instanceIdPrefix=page-&top=2`);
    assert.equal(first.status, 200);
    const token = first.headers.get('x-ms-continuation-token');
    assert.ok(token);
    const seen = (first.json() as Array<{ instanceId: string }>).map((s) => s.instanceId);
    let next: string | null = token;
    while (next) {
      const page = await call(`${served.hook}/instances?instanceIdPrefix=page-&top=2`, { headers: { 'x-ms-continuation-token': next } });
      seen.push(...(page.json() as Array<{ instanceId: string }>).map((s) => s.instanceId));
      next = page.headers.get('x-ms-continuation-token');
    }
    assert.deepEqual(seen, ['page-a', 'page-b', 'page-c', 'page-d', 'page-e']);

    const completed = await call(`${served.hook}/instances/?instanceIdPrefix=page-&runtimeStatus=Completed`);
    assert.deepEqual((completed.json() as Array<{ instanceId: string }>).map((s) => s.instanceId), ['page-c']);
    assert.equal(completed.headers.get('x-ms-continuation-token'), null);

    // As the extension reads them (TryParse): a value that does not parse is ignored.
    const sleeping = await call(`${served.hook}/instances?instanceIdPrefix=page-&runtimeStatus=Sleeping,Completed`);
    assert.deepEqual((sleeping.json() as Array<{ instanceId: string }>).map((s) => s.instanceId), ['page-c']);
    const all = await call(`${served.hook}/instances?instanceIdPrefix=page-&runtimeStatus=Sleeping&top=0&createdTimeFrom=yesterday&showInput=maybe`);
    assert.equal(all.status, 200);
    assert.equal((all.json() as unknown[]).length, 5);
  });

  test('raise event: 404 unknown, 410 ended (Failed included), 400 not application/json or bad JSON naming eventData', async () => {
    await engine.start('W', { instanceId: 'wh-ev' });
    const url = `${served.hook}/instances/wh-ev/raiseEvent/Go`;
    assert.equal((await call(`${served.hook}/instances/wh-ghost/raiseEvent/Go`, { method: 'POST', body: '1' })).status, 404);
    const plain = await call(url, { method: 'POST', body: 'x', headers: { 'content-type': 'text/plain' } });
    assert.equal(plain.status, 400);
    assert.equal((plain.json() as { Message: string }).Message, 'Only application/json request content is supported');
    assert.equal((await call(url, { method: 'POST', body: '1' })).status, 400, 'no content type at all');
    const bad = await call(url, { method: 'POST', body: '{', headers: { 'content-type': 'application/json' } });
    assert.equal(bad.status, 400);
    assert.match((bad.json() as { message: string }).message, /^eventData: invalid JSON content/);
    assert.equal((await call(url, { method: 'POST', body: '"ok"', headers: { 'content-type': 'application/json' } })).status, 202);
    assert.deepEqual(engine.calls.at(-1), { operation: 'raiseEvent', instanceId: 'wh-ev', eventName: 'Go', data: 'ok' });
    engine.set('wh-ev', { runtimeStatus: 'Failed' });
    assert.equal((await call(url, { method: 'POST', body: '1', headers: { 'content-type': 'application/json' } })).status, 410);
  });

  test('terminate/suspend/resume/rewind answer 410 for ended instances (rewind: but Failed); entities 501', async () => {
    await engine.start('W', { instanceId: 'wh-ended' });
    engine.set('wh-ended', { runtimeStatus: 'Completed' });
    for (const op of ['terminate', 'suspend', 'resume']) {
      assert.equal((await call(`${served.hook}/instances/wh-ended/${op}?reason=x`, { method: 'POST' })).status, 410, op);
    }
    const rewind = await call(`${served.hook}/instances/wh-ended/rewind?reason=x`, { method: 'POST' });
    assert.equal(rewind.status, 410);
    assert.equal(rewind.text, '');
    assert.equal((await call(`${served.hook}/entities/Counter/c1`)).status, 501);
  });

  test('purge: one (404 when unknown, 412 while live), many (createdTimeFrom required, 404 when nothing matched)', async () => {
    await engine.start('P', { instanceId: 'wh-purge' });
    assert.equal((await call(`${served.hook}/instances/wh-purge`, { method: 'DELETE' })).status, 412);
    engine.set('wh-purge', { runtimeStatus: 'Failed' });
    assert.deepEqual((await call(`${served.hook}/instances/wh-purge`, { method: 'DELETE' })).json(), { instancesDeleted: 1 });
    assert.equal((await call(`${served.hook}/instances/wh-purge`, { method: 'DELETE' })).status, 404);

    const missing = await call(`${served.hook}/instances?runtimeStatus=Completed`, { method: 'DELETE' });
    assert.equal(missing.status, 400);
    assert.match((missing.json() as { message: string }).message, /^createdTimeFrom: /);
    assert.equal((missing.json() as { Message: string }).Message, "Please provide value for 'createdTimeFrom' parameter.");
    const far = '2999-01-01T00:00:00Z';
    assert.equal((await call(`${served.hook}/instances?createdTimeFrom=${far}`, { method: 'DELETE' })).status, 404);
  });

  test('create-and-wait (timeout, pollingInterval) answers the output once completed, else the 202 payload', async () => {
    const id = 'wh-wait-1';
    setTimeout(() => engine.set(id, { runtimeStatus: 'Completed', output: { answer: 42 } }), 50);
    const done = await call(`${served.hook}/orchestrators/Waiter/${id}?timeout=10&pollingInterval=0.02`, { method: 'POST' });
    assert.equal(done.status, 200);
    assert.deepEqual(done.json(), { answer: 42 });

    const pending = await call(`${served.hook}/orchestrators/Waiter/wh-wait-2?timeout=0.1&pollingInterval=0.05`, { method: 'POST' });
    assert.equal(pending.status, 202);
    assert.equal((pending.json() as { id: string }).id, 'wh-wait-2');

    setTimeout(() => engine.set('wh-wait-3', { runtimeStatus: 'Terminated', output: 'stop' }), 50);
    const terminated = await call(`${served.hook}/orchestrators/Waiter/wh-wait-3?timeout=10&pollingInterval=0.02`, { method: 'POST' });
    assert.equal(terminated.status, 200);
    assert.equal((terminated.json() as { runtimeStatus: string }).runtimeStatus, 'Terminated');
  });

  test('another task hub or connection is refused (400), without echoing the connection value', async () => {
    const hub = await call(`${served.hook}/instances?taskHub=OtherHub`);
    assert.equal(hub.status, 400);
    assert.equal((hub.json() as { code: string }).code, 'UNKNOWN_TASK_HUB');
    const secretish = 'DefaultEndpointsProtocol=https;AccountKey=abc123';
    const conn = await call(`${served.hook}/instances?connection=${encodeURIComponent(secretish)}`);
    assert.equal(conn.status, 400);
    assert.equal(conn.text.includes('abc123'), false);
    assert.equal((await call(`${served.hook}/instances?taskHub=webhookhub`)).status, 200, 'hub names compare case-insensitively');
  });

  test('an unexpected engine failure is a 500 with a stable code and none of the error text', async () => {
    class FailingEngine extends MemoryEngine {
      override async getStatus(): Promise<undefined> {
        throw Object.assign(new Error('storage said no: AccountKey=abc123 at http://127.0.0.1:1/devstoreaccount1'), { code: 'STORAGE_UNAVAILABLE' });
      }
    }
    const failing = await serveApi(new FailingEngine('FailHub'));
    try {
      const res = await call(`${failing.baseUrl}${HOOK}/instances/any`);
      assert.equal(res.status, 500);
      const message = 'Something went wrong while processing your request';
      assert.deepEqual(res.json(), { Message: message, code: 'STORAGE_UNAVAILABLE', message });
      await assert.rejects(failing.client().getStatus('any'), /unexpected status code: 500/);
    } finally {
      await failing.close();
    }
  });

  test('unknown routes under the prefix and wrong methods are bare 404s, as the extension answers them', async () => {
    const unknown = await call(`${served.hook}/nothing/here`);
    assert.equal(unknown.status, 404);
    assert.equal(unknown.text, '');
    assert.equal((await call(served.hook)).status, 404);
    const wrong = await call(`${served.hook}/orchestrators/Greeter`, { method: 'GET' });
    assert.equal(wrong.status, 404);
    assert.equal(wrong.text, '');
    assert.equal((await call(`${served.hook}/instances/x`, { method: 'PUT' })).status, 404);
  });

  test('paths outside the prefix are not claimed and nothing is written', async () => {
    const before = served.unclaimed.length;
    for (const path of ['/api/schedules', '/runtime/webhooks/other', `${HOOK}x/instances`, '/']) {
      const res = await call(`${served.baseUrl}${path}`);
      assert.equal(res.headers.get('x-test-server'), 'unclaimed', path);
    }
    assert.equal(served.unclaimed.length, before + 4);
  });

  test('the stock client in its legacy (template) form works end to end', async () => {
    const client = served.client({ legacy: true });
    const id = await client.startNew('Legacy', { instanceId: 'legacy-1', input: { v: 1 } });
    assert.equal(id, 'legacy-1');
    const status = await client.getStatus(id, { showInput: false });
    assert.equal(status.runtimeStatus, 'Pending');
    assert.equal(status.input, null);
    assert.deepEqual((await client.getStatus(id)).input, { v: 1 });
    const from = new Date(Date.parse('2000-01-01T00:00:00Z'));
    assert.ok((await client.getStatusAll()).some((s) => s.instanceId === 'legacy-1'));
    const pending = await client.getStatusBy({ runtimeStatus: [df.OrchestrationRuntimeStatus.Pending] });
    assert.ok(pending.every((s) => s.runtimeStatus === df.OrchestrationRuntimeStatus.Pending) && pending.some((s) => s.instanceId === 'legacy-1'));
    await client.raiseEvent(id, 'Nudge', { n: 1 });
    assert.deepEqual(engine.calls.at(-1), { operation: 'raiseEvent', instanceId: id, eventName: 'Nudge', data: { n: 1 } });
    await client.suspend(id, 'hold');
    await client.resume(id, 'go');
    await client.terminate(id, 'done');
    assert.equal((await client.getStatus(id)).runtimeStatus, 'Terminated');
    await assert.rejects(client.rewind(id, 'x'), /unexpected status code: 410/);
    assert.equal((await client.purgeInstanceHistory(id)).instancesDeleted, 1);
    await client.startNew('Legacy', { instanceId: 'legacy-2' });
    engine.set('legacy-2', { runtimeStatus: 'Completed' });
    const purged = await client.purgeInstanceHistoryBy({ createdTimeFrom: from, runtimeStatus: [df.OrchestrationRuntimeStatus.Completed] });
    assert.ok(purged.instancesDeleted >= 1);
    assert.equal(engine.has('legacy-2'), false);
  });
});
