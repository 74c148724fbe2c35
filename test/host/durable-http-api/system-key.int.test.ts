/** The Durable HTTP API with a system key: every endpoint demands it, the stock client still works unchanged. */
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HttpRequest } from '@azure/functions';
import { MemoryEngine } from '../../support/memory-engine.js';
import { call, HOOK, serveApi, useServedApi } from './harness.js';

const KEY = 'sys-key_0123456789abcdefXYZ';

describe('Durable HTTP API with a system key', () => {
  const engine = new MemoryEngine('KeyHub');
  const served = useServedApi(engine, { systemKey: KEY });

  before(async () => {
    await engine.start('Guarded', { instanceId: 'guarded-1', input: 'x' });
  });

  test('binding data: templates carry code=KEY as the extension does; the RPC base does not contain the key', () => {
    const data = served.api.clientBindingData() as {
      requiredQueryStringParameters: string;
      rpcBaseUrl: string;
      managementUrls: Record<string, string>;
      creationUrls: Record<string, string>;
    };
    assert.equal(data.requiredQueryStringParameters, `code=${KEY}`);
    assert.ok(data.managementUrls.statusQueryGetUri?.endsWith(`?taskHub=KeyHub&connection=AzureWebJobsStorage&code=${KEY}`));
    assert.ok(data.creationUrls.createNewInstancePostUri?.endsWith(`[/{instanceId}]?code=${KEY}`));
    assert.match(data.rpcBaseUrl, new RegExp(`^${served.baseUrl}${HOOK}/rpc/[A-Za-z0-9_-]{43}/$`));
    assert.equal(data.rpcBaseUrl.includes(KEY), false);
  });

  test('without the key every endpoint answers 401, and the body never holds a key', async () => {
    const attempts: Array<[string, RequestInit]> = [
      [`${served.hook}/instances/guarded-1`, {}],
      [`${served.hook}/instances`, {}],
      [`${served.hook}/orchestrators/Guarded/guarded-2`, { method: 'POST' }],
      [`${served.hook}/instances/guarded-1/raiseEvent/E`, { method: 'POST', body: '1' }],
      [`${served.hook}/instances/guarded-1/terminate?reason=x`, { method: 'POST' }],
      [`${served.hook}/instances/guarded-1`, { method: 'DELETE' }],
      [`${served.hook}/instances/guarded-1?code=wrong-key-value`, {}],
      [`${served.hook}/nothing`, {}],
      [`${served.hook}/rpc/not-the-token/instances/guarded-1`, {}],
    ];
    for (const [url, init] of attempts) {
      const res = await call(url, init);
      assert.equal(res.status, 401, url);
      assert.equal((res.json() as { code: string }).code, 'UNAUTHORIZED');
      assert.equal(res.text.includes(KEY), false);
      assert.equal(res.text.includes('wrong-key-value'), false);
    }
    assert.equal(engine.has('guarded-2'), false);
    assert.equal((await engine.getStatus('guarded-1'))?.runtimeStatus, 'Pending');
  });

  test('the key works as code query parameter and as x-functions-key header', async () => {
    assert.equal((await call(`${served.hook}/instances/guarded-1?code=${encodeURIComponent(KEY)}`)).status, 202);
    assert.equal((await call(`${served.hook}/instances/guarded-1`, { headers: { 'x-functions-key': KEY } })).status, 202);
    assert.equal((await call(`${served.hook}/instances/guarded-1`, { headers: { 'x-functions-key': `${KEY}x` } })).status, 401);
  });

  test('the stock client (RPC form) works unchanged', async () => {
    const client = served.client();
    const id = await client.startNew('Guarded', { instanceId: 'rpc-1', input: { k: 1 } });
    assert.equal((await client.getStatus(id)).runtimeStatus, 'Pending');
    await client.raiseEvent(id, 'E', 5);
    assert.ok((await client.getStatusAll()).some((s) => s.instanceId === 'rpc-1'));
    await client.terminate(id, 'bye');
    assert.equal((await client.getStatus(id)).runtimeStatus, 'Terminated');
    assert.equal((await client.purgeInstanceHistory(id)).instancesDeleted, 1);
  });

  test('the stock client (legacy template form) works unchanged', async () => {
    const client = served.client({ legacy: true });
    const id = await client.startNew('Guarded', { instanceId: 'legacy-k-1' });
    assert.equal((await client.getStatus(id)).runtimeStatus, 'Pending');
    await client.suspend(id, 'hold');
    assert.equal((await client.getStatus(id)).runtimeStatus, 'Suspended');
    await client.terminate(id, 'done');
    assert.equal((await client.purgeInstanceHistory(id)).instancesDeleted, 1);
  });

  test('createCheckStatusResponse links carry the key and work when followed', async () => {
    const client = served.client();
    await client.startNew('Guarded', { instanceId: 'links-k-1' });
    const response = client.createCheckStatusResponse(new HttpRequest({ method: 'POST', url: `${served.baseUrl}/api/x` }), 'links-k-1');
    const payload = (await response.json()) as Record<string, string>;
    const status = await call(payload.statusQueryGetUri!);
    assert.equal(status.status, 202);
    assert.equal(status.text.includes(KEY), false, 'status bodies hold no key');
    const terminate = await call(payload.terminatePostUri!.replace('{text}', 'stop'), { method: 'POST' });
    assert.equal(terminate.status, 202);
  });

  test('without a key configured, the rpc sub-path is no route (404)', async () => {
    const open = await serveApi(new MemoryEngine('OpenHub'));
    try {
      assert.equal((await call(`${open.baseUrl}${HOOK}/rpc/anything/instances/x`)).status, 404);
    } finally {
      await open.close();
    }
  });
});
