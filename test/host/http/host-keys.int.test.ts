/**
 * Keys like Azure Functions: master, host, function and the Durable system key are distinct; each opens what it
 * opens in the Functions host, and the Durable API's links carry the system key only.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startHost, type RunningHost } from '../../../src/host/host.js';
import { buildHostKeys, loadHostKeys } from '../../../src/host/http/host-keys.js';
import { VirtualClock } from '../../../src/durable/clock/virtual-clock.js';
import { captureLogger, fixtureDir } from '../capture-logger.js';
import { memoryEngineFactory } from '../memory-runtime.js';

const CONNECTION = 'AccountName=unused;AccountKey=dW51c2Vk;TableEndpoint=http://127.0.0.1:9/unused;';
const HOOK = '/runtime/webhooks/durabletask';
const MASTER = 'master-key-0123456789abcdef';
const HOST_KEY = 'host-key-0123456789abcdef';
const SECRET_FN_KEY = 'fn-secret-key-0123456789';
const SYSTEM = 'system-key-0123456789abcdef';

function secretDir(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'host-keys-'));
  for (const [name, value] of Object.entries(files)) writeFileSync(path.join(dir, name), value);
  return dir;
}

describe('loading keys', () => {
  test('settings: FUNCTIONS_HOST_KEY stays the host key; master and system keys are their own', () => {
    const keys = loadHostKeys({ FUNCTIONS_HOST_KEY: HOST_KEY, FUNCTIONS_MASTER_KEY: MASTER, FUNCTIONS_SYSTEM_KEY: SYSTEM });
    assert.deepEqual([keys.master, keys.host, keys.system, keys.systemGenerated], [MASTER, [HOST_KEY], SYSTEM, false]);
  });

  test('with only a host key, the system key is generated for the run and is none of the others', () => {
    const a = loadHostKeys({ FUNCTIONS_HOST_KEY: HOST_KEY });
    const b = loadHostKeys({ FUNCTIONS_HOST_KEY: HOST_KEY });
    assert.equal(a.master, undefined);
    assert.ok(a.system && a.system.length >= 40 && a.systemGenerated);
    assert.notEqual(a.system, HOST_KEY);
    assert.notEqual(a.system, b.system, 'not derived from the host key: a function key holder cannot compute it');
  });

  test('no settings, no directory: keyless', () => {
    const keys = loadHostKeys({});
    assert.deepEqual([keys.master, keys.host, keys.system, keys.functions.size], [undefined, [], undefined, 0]);
  });

  test('a mounted secret directory named like the Functions host Kubernetes secret storage', () => {
    const dir = secretDir({
      'host.master': `${MASTER}\n`,
      'host.function.default': HOST_KEY,
      'host.systemKey.durabletask_extension': SYSTEM,
      'functions.secret.default': SECRET_FN_KEY,
      '..data': 'ignored',
    });
    const keys = loadHostKeys({ FUNCTIONS_SECRETS_DIR: dir });
    assert.equal(keys.master, MASTER, 'a trailing newline of a mounted file is not part of the key');
    assert.deepEqual(keys.host, [HOST_KEY]);
    assert.equal(keys.system, SYSTEM);
    assert.deepEqual(keys.functions.get('secret'), [SECRET_FN_KEY]);
  });

  test('a whitespace-only, short or spaced key is refused naming the setting, never printing the key', () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ FUNCTIONS_HOST_KEY: '   ' }, /^FUNCTIONS_HOST_KEY is empty or whitespace only$/],
      [{ FUNCTIONS_MASTER_KEY: 'short-key' }, /^FUNCTIONS_MASTER_KEY must be at least 16 printable characters/],
      [{ FUNCTIONS_SYSTEM_KEY: 'has a space in the middle' }, /^FUNCTIONS_SYSTEM_KEY must be at least 16/],
      [{ FUNCTIONS_SECRETS_DIR: secretDir({ 'host.master': ' \n' }) }, /FUNCTIONS_SECRETS_DIR\/host\.master is empty or whitespace only/],
      [{ FUNCTIONS_SECRETS_DIR: '/nonexistent/keys' }, /^FUNCTIONS_SECRETS_DIR: cannot read the directory/],
      [{ FUNCTIONS_HOST_KEY: HOST_KEY, FUNCTIONS_SYSTEM_KEY: HOST_KEY }, /FUNCTIONS_SYSTEM_KEY must differ/],
      [{ FUNCTIONS_HOST_KEY: HOST_KEY, FUNCTIONS_MASTER_KEY: HOST_KEY }, /FUNCTIONS_MASTER_KEY must differ/],
    ];
    for (const [env, message] of cases) {
      assert.throws(
        () => loadHostKeys(env),
        (err: Error) => message.test(err.message) && !err.message.includes('short-key') && !err.message.includes(HOST_KEY),
        JSON.stringify(Object.keys(env)),
      );
    }
  });
});

describe('which key opens what', () => {
  let host: RunningHost;
  before(async () => {
    host = await startHost({
      appDir: fixtureDir('sample-app'),
      port: 0,
      connectionString: CONNECTION,
      clock: new VirtualClock(),
      keys: buildHostKeys({ master: MASTER, host: [HOST_KEY], functions: new Map([['secret', [SECRET_FN_KEY]]]), system: SYSTEM }),
      logger: captureLogger('warn').logger,
      engineFactory: memoryEngineFactory(),
    });
    await host.engine.start('helloSequence', { instanceId: 'keyed-1' });
  });
  after(() => host.stop());

  async function status(pathAndQuery: string, key?: string, init: RequestInit = {}): Promise<number> {
    const headers: Record<string, string> = key === undefined ? {} : { 'x-functions-key': key };
    const res = await fetch(`${host.url}${pathAndQuery}`, { ...init, headers: { ...headers, ...(init.headers as Record<string, string>) } });
    await res.body?.cancel();
    return res.status;
  }

  test('a function-level trigger: host key, its own function key and the master key open it; the system key does not', async () => {
    assert.equal(await status('/api/secret', HOST_KEY), 200);
    assert.equal(await status('/api/secret', SECRET_FN_KEY), 200);
    assert.equal(await status('/api/secret', MASTER), 200);
    assert.equal(await status('/api/secret', SYSTEM), 401);
    assert.equal(await status('/api/secret'), 401);
  });

  test('admin: only the master key', async () => {
    assert.equal(await status('/admin/host/status', MASTER), 200);
    assert.equal(await status('/admin/host/status', HOST_KEY), 401);
    assert.equal(await status('/admin/host/status', SYSTEM), 401);
  });

  test('the Durable webhooks: the system key and the master key; a function or host key cannot terminate or purge', async () => {
    assert.equal(await status(`${HOOK}/instances/keyed-1`, SYSTEM), 202);
    assert.equal(await status(`${HOOK}/instances/keyed-1?code=${MASTER}`), 202);
    for (const key of [HOST_KEY, SECRET_FN_KEY]) {
      assert.equal(await status(`${HOOK}/instances/keyed-1/terminate?reason=x`, key, { method: 'POST' }), 401);
      assert.equal(await status(`${HOOK}/instances/keyed-1`, key, { method: 'DELETE' }), 401);
      assert.equal(await status(`${HOOK}/instances?code=${key}`), 401);
    }
    assert.equal((await host.engine.getStatus('keyed-1'))?.runtimeStatus, 'Pending');
  });

  test('check-status links (HTTP starter) and the durableClient binding carry the system key only', async () => {
    const res = await fetch(`${host.url}/api/orchestrators/helloSequence`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-functions-key': HOST_KEY },
      body: '{}',
    });
    const text = await res.text();
    assert.equal(res.status, 202, text);
    const links = JSON.parse(text) as Record<string, string>;
    assert.match(links.statusQueryGetUri ?? '', new RegExp(`code=${SYSTEM}$`));
    const binding = JSON.stringify(host.durableApi.clientBindingData());
    for (const other of [MASTER, HOST_KEY, SECRET_FN_KEY]) {
      assert.equal(text.includes(other), false);
      assert.equal(binding.includes(other), false);
    }
    assert.equal(await status(new URL(links.statusQueryGetUri as string).pathname + new URL(links.statusQueryGetUri as string).search), 202);
  });
});
