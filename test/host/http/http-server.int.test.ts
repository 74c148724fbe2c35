import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startHost, type RunningHost } from '../../../src/host/host.js';
import { VirtualClock } from '../../../src/durable/clock/virtual-clock.js';
import { captureLogger, fixtureDir } from '../capture-logger.js';
import { memoryEngineFactory } from '../memory-runtime.js';

const CONNECTION = 'AccountName=unused;AccountKey=dW51c2Vk;TableEndpoint=http://127.0.0.1:9/unused;';

async function start(key?: string): Promise<RunningHost> {
  return startHost({
    appDir: fixtureDir('sample-app'),
    port: 0,
    connectionString: CONNECTION,
    clock: new VirtualClock(),
    key,
    logger: captureLogger('warn').logger,
    engineFactory: memoryEngineFactory(),
  });
}

describe('HTTP triggers without a host key', () => {
  let host: RunningHost;
  before(async () => {
    host = await start();
  });
  after(() => host.stop());

  test('route parameters, query and the full URL reach the function', async () => {
    const res = await fetch(`${host.url}/api/hello/World?q=1&tag=a&tag=b`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /application\/json/);
    assert.deepEqual(await res.json(), {
      greeting: 'Hello, World',
      q: '1',
      tags: ['a', 'b'],
      url: `${host.url}/api/hello/World?q=1&tag=a&tag=b`,
    });
  });

  test('a POST with a JSON body; status, headers and cookies come back', async () => {
    const res = await fetch(`${host.url}/api/items/42`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ color: 'blue' }),
    });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('x-item-id'), '42');
    assert.match(res.headers.get('set-cookie') ?? '', /^seen=yes;.*HttpOnly/);
    assert.deepEqual(await res.json(), { id: 42, body: { color: 'blue' }, contentType: 'application/json' });
  });

  test('constraints pick the route: items/{id:int} vs items/{name:alpha}; no match is 404', async () => {
    assert.deepEqual(await (await fetch(`${host.url}/api/items/abc`)).json(), { name: 'abc' });
    const none = await fetch(`${host.url}/api/items/4x`);
    assert.equal(none.status, 404);
    assert.equal((await none.json() as { error: string }).error, 'NotFound');
  });

  test('a method the function does not accept is 405 with Allow', async () => {
    const res = await fetch(`${host.url}/api/items/42`);
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'POST');
    await res.body?.cancel();
  });

  test('optional parameters', async () => {
    assert.equal(await (await fetch(`${host.url}/api/opt`)).text(), 'none');
    assert.equal(await (await fetch(`${host.url}/api/opt/x`)).text(), 'x');
  });

  test('the default route is the function name, under the route prefix only', async () => {
    assert.equal(await (await fetch(`${host.url}/api/secret`)).text(), 'the secret');
    const bare = await fetch(`${host.url}/secret`);
    assert.equal(bare.status, 404);
    await bare.body?.cancel();
  });

  test('with no key configured, function-level functions need no key', async () => {
    const res = await fetch(`${host.url}/api/secret`);
    assert.equal(res.status, 200);
    await res.body?.cancel();
  });

  test('a function that throws answers 500 without details', async () => {
    const res = await fetch(`${host.url}/api/fails`);
    assert.equal(res.status, 500);
    assert.equal(await res.text(), '');
  });

  test('a 204 response has no body', async () => {
    const res = await fetch(`${host.url}/api/noContent`, { method: 'DELETE' });
    assert.equal(res.status, 204);
    assert.equal(await res.text(), '');
  });

  test('unknown routes and webhooks answer 404 JSON; under the Durable webhooks a bare 404, as the extension answers', async () => {
    for (const path of ['/api/nothing-here', '/nothing']) {
      const res = await fetch(`${host.url}${path}`);
      assert.equal(res.status, 404, path);
      assert.match(res.headers.get('content-type') ?? '', /application\/json/);
      await res.body?.cancel();
    }
    const durable = await fetch(`${host.url}/runtime/webhooks/durabletask/nothing`);
    assert.equal(durable.status, 404);
    assert.equal(await durable.text(), '');
  });

  test('a body over the limit is refused with 413', async () => {
    // A function-level trigger (open without keys) takes 1 MiB; anonymous ones take the Functions host's 100 MB.
    const res = await fetch(`${host.url}/api/secret`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: Buffer.alloc(3 * 1024 * 1024, 0x20),
    }).catch((err: unknown) => err as Error);
    // The server may close the connection before the client finishes sending; both are a refusal.
    if (res instanceof Response) assert.equal(res.status, 413);
    else assert.ok(res instanceof Error);
  });

  test('appStart ran once; pre/post invocation hooks run around each invocation and share hookData', async () => {
    const first = (await (await fetch(`${host.url}/api/hooks`)).json()) as Record<string, unknown>;
    const second = (await (await fetch(`${host.url}/api/hooks`)).json()) as Record<string, number | boolean>;
    assert.equal(first.appStart, 1);
    assert.equal(second.preInvocation, Number(first.preInvocation) + 1);
    assert.equal(second.postInvocation, Number(first.postInvocation) + 1);
    assert.equal(second.hookDataPassed, true);
  });

  test('the starter starts an orchestration through the stock DurableClient and answers 202 with status links', async () => {
    const res = await fetch(`${host.url}/api/orchestrators/helloSequence`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ who: 'x' }),
    });
    assert.equal(res.status, 202);
    const links = (await res.json()) as Record<string, string>;
    assert.ok(links.id);
    assert.ok(links.statusQueryGetUri?.startsWith(`${host.url}/runtime/webhooks/durabletask/instances/${links.id}`));
    assert.equal(res.headers.get('location'), links.statusQueryGetUri);
    const status = await fetch(links.statusQueryGetUri as string);
    assert.ok(status.status === 202 || status.status === 200);
    const body = (await status.json()) as Record<string, unknown>;
    assert.equal(body.name, 'helloSequence');
    assert.deepEqual(body.input, { who: 'x' });
  });
});

describe('HTTP triggers with a host key', () => {
  let host: RunningHost;
  before(async () => {
    host = await start('s3cret-key-0123456789');
  });
  after(() => host.stop());

  test('function-level functions demand the key (header or code query); anonymous ones do not', async () => {
    const missing = await fetch(`${host.url}/api/secret`);
    assert.equal(missing.status, 401);
    await missing.body?.cancel();
    const wrong = await fetch(`${host.url}/api/secret`, { headers: { 'x-functions-key': 'nope' } });
    assert.equal(wrong.status, 401);
    await wrong.body?.cancel();
    assert.equal(await (await fetch(`${host.url}/api/secret`, { headers: { 'x-functions-key': 's3cret-key-0123456789' } })).text(), 'the secret');
    assert.equal(await (await fetch(`${host.url}/api/secret?code=s3cret-key-0123456789`)).text(), 'the secret');
    assert.equal((await fetch(`${host.url}/api/hello/anon`)).status, 200);
  });

  test('the durable webhooks demand the key too', async () => {
    const res = await fetch(`${host.url}/runtime/webhooks/durabletask/instances`);
    assert.equal(res.status, 401);
    await res.body?.cancel();
  });
});

test('without a key the host refuses to listen beyond loopback', async () => {
  await assert.rejects(
    startHost({
      appDir: fixtureDir('sample-app'),
      port: 0,
      hostname: '0.0.0.0',
      connectionString: CONNECTION,
      logger: captureLogger('warn').logger,
      engineFactory: memoryEngineFactory(),
    }),
    { code: 'KEY_REQUIRED' },
  );
});
