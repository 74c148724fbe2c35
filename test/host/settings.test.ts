import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { resolveAppSettings } from '../../src/host/app-settings.js';
import { describeConnectionString } from '../../src/host/connection-string.js';
import { applyLocalSettings, readLocalSettings } from '../../src/host/local-settings.js';
import { DEV_ACCOUNT, DEV_KEY } from '../../src/host/storage/azurite.js';
import { resolveStorageConnection } from '../../src/host/storage-settings.js';

test('UseDevelopmentStorage=true is Azurite\'s dev account on 127.0.0.1:10002 and :10000 for blobs (or the proxy host)', () => {
  const cs = resolveStorageConnection('UseDevelopmentStorage=true');
  assert.match(cs, new RegExp(`AccountName=${DEV_ACCOUNT};`));
  assert.ok(cs.includes(`AccountKey=${DEV_KEY}`));
  assert.match(cs, /TableEndpoint=http:\/\/127\.0\.0\.1:10002\/devstoreaccount1;/);
  assert.match(cs, /BlobEndpoint=http:\/\/127\.0\.0\.1:10000\/devstoreaccount1;/);
  const proxied = resolveStorageConnection('UseDevelopmentStorage=true;DevelopmentStorageProxyUri=http://azurite');
  assert.match(proxied, /TableEndpoint=http:\/\/azurite:10002\//);
  assert.match(proxied, /BlobEndpoint=http:\/\/azurite:10000\//);
});

test('storage settings: missing or malformed values name the setting, never echo the value', () => {
  assert.throws(() => resolveStorageConnection(undefined), { code: 'MISSING_SETTING', message: /AzureWebJobsStorage is not set/ });
  assert.throws(() => resolveStorageConnection('AccountName=a;Key=hunter2'), (err: Error) => {
    assert.match(err.message, /AzureWebJobsStorage must be a storage connection string/);
    assert.ok(!err.message.includes('hunter2'));
    return true;
  });
  const real = 'DefaultEndpointsProtocol=https;AccountName=prod;AccountKey=c2VjcmV0;EndpointSuffix=core.windows.net';
  assert.equal(resolveStorageConnection(real), real);
  assert.equal(describeConnectionString(real), 'account prod at https://prod.table.core.windows.net');
  assert.ok(!describeConnectionString(real).includes('c2VjcmV0'));
});

test('local.settings.json Values fill only unset variables', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'host-settings-'));
  assert.deepEqual(readLocalSettings(dir), { values: {}, localHttpPort: undefined });
  writeFileSync(path.join(dir, 'local.settings.json'), JSON.stringify({ Values: { A: 'from-file', B: 'from-file', N: 3 }, Host: { LocalHttpPort: 7072 } }));
  const settings = readLocalSettings(dir);
  assert.equal(settings.localHttpPort, 7072);
  const env: NodeJS.ProcessEnv = { A: 'from-env' };
  assert.deepEqual(applyLocalSettings(settings.values, env), ['B', 'N']);
  assert.deepEqual(env, { A: 'from-env', B: 'from-file', N: '3' });
  writeFileSync(path.join(dir, 'local.settings.json'), '{ nope');
  assert.throws(() => readLocalSettings(dir), { code: 'BAD_LOCAL_SETTINGS' });
});

test('%SETTING% references resolve from app settings; %% is a literal percent', () => {
  assert.equal(resolveAppSettings('%A%-%B%', 'x', { A: '1', B: '2' }), '1-2');
  assert.equal(resolveAppSettings('100%%', 'x', {}), '100%');
  assert.throws(() => resolveAppSettings('%NOPE%', 'function "f" schedule', {}), /function "f" schedule refers to app setting "NOPE"/);
});
