/**
 * Start-up lines for storage credentials (issue #8): a wrong AccountKey used to stop the host with Azurite's
 * multi-line XML error document; a key that is not base64 at all is refused before any storage call.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TableClient } from '@azure/data-tables';
import { describeStorageAuthFailure } from '../../src/host/connection-string.js';
import { startAzurite } from '../../src/host/storage/azurite.js';
import { resolveStorageConnection } from '../../src/host/storage-settings.js';

test('an AccountKey that is not base64 stops start-up with one line naming the setting, not the key', () => {
  for (const key of ['not a key', 'abc', 'c2VjcmV0=x', 'hunter2!']) {
    assert.throws(() => resolveStorageConnection(`AccountName=prod;AccountKey=${key};EndpointSuffix=core.windows.net`), (error: Error) => {
      assert.match(error.message, /^AzureWebJobsStorage: AccountKey is not a base64 storage account key/);
      assert.ok(!error.message.includes(key));
      return true;
    });
  }
});

test('regression: a wrong AccountKey against real Azurite is described in one line naming AzureWebJobsStorage, not Azurite\'s XML', { timeout: 60_000 }, async () => {
  const azurite = await startAzurite();
  try {
    const wrongKey = Buffer.alloc(64, 7).toString('base64');
    const connection = resolveStorageConnection(azurite.connectionString.replace(/AccountKey=[^;]+/, `AccountKey=${wrongKey}`));
    const client = TableClient.fromConnectionString(connection, 'credentialcheck', { allowInsecureConnection: true });
    const error = await client.createTable().then(() => undefined, (err: unknown) => err);
    assert.ok(error instanceof Error, 'Azurite refuses the wrong key');
    assert.match(error.message, /\n/, 'the raw error is the multi-line document the host printed before');
    const line = describeStorageAuthFailure(error);
    assert.equal(line, 'AzureWebJobsStorage: the storage account refused its credentials (HTTP 403 AuthorizationFailure); check AccountName and AccountKey');
    assert.ok(!line?.includes(wrongKey));
    assert.equal(describeStorageAuthFailure(new Error('connect ECONNREFUSED 127.0.0.1:10002')), undefined, 'other failures are not credential failures');
  } finally {
    await azurite.stop();
  }
});

test('fuzz: any AzureWebJobsStorage value resolves or stops with a HostError naming the setting, never quoting the key', async () => {
  const { default: fc } = await import('fast-check');
  const { fuzzParameters } = await import('../support/fuzz.js');
  const { HostError } = await import('../../src/host/host-error.js');
  const secret = fc.stringMatching(/^[A-Za-z0-9+/]{8,24}$/).map((s) => `Zz9${s}`);
  const piece = fc.oneof(
    fc.constantFrom('AccountName=prod', 'AccountName=', 'DefaultEndpointsProtocol=https', 'EndpointSuffix=core.windows.net', 'UseDevelopmentStorage=true', 'UseDevelopmentStorage=false', 'DevelopmentStorageProxyUri=http://azurite', 'DevelopmentStorageProxyUri=::', 'TableEndpoint=http://127.0.0.1:1/x', '=', ';;', ''),
    fc.string(),
  );
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 5 }), secret, fc.constantFrom('', '==', '!', ' ', '%'), (pieces, key, tail) => {
      const value = [...pieces, `AccountKey=${key}${tail}`].join(';');
      try {
        resolveStorageConnection(value);
      } catch (error) {
        assert.ok(error instanceof HostError, String(error));
        assert.match(error.message, /^AzureWebJobsStorage[: ]/);
        assert.ok(!error.message.includes(key), error.message);
      }
    }),
    fuzzParameters({ numRuns: 200 }, 'AzureWebJobsStorage'),
  );
});
