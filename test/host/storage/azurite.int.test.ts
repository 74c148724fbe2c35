import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TableClient } from '@azure/data-tables';
import { BlobServiceClient } from '@azure/storage-blob';
import { startAzurite } from '../../../src/host/storage/azurite.js';

test('azurite starts in memory and serves the table API and the blob API (its own process) from one connection string', async () => {
  const azurite = await startAzurite();
  try {
    const table = TableClient.fromConnectionString(azurite.connectionString, 'smoke', { allowInsecureConnection: true });
    await table.createTable();
    await table.createEntity({ partitionKey: 'p', rowKey: 'r', value: 42 });
    const entity = await table.getEntity<{ value: number }>('p', 'r');
    assert.equal(entity.value, 42);
    assert.match(azurite.connectionString, new RegExp(`BlobEndpoint=http://127\\.0\\.0\\.1:${azurite.blobPort}/`));
    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient('smoke');
    await container.create();
    await container.getBlockBlobClient('a/b').uploadData(Buffer.from('blob'));
    assert.equal((await container.getBlobClient('a/b').downloadToBuffer()).toString(), 'blob');
    assert.notEqual(azurite.blobProcess.pid, azurite.process.pid);
  } finally {
    await azurite.stop();
  }
  assert.ok(azurite.process.exitCode !== null || azurite.process.signalCode !== null, 'the table service stopped');
  assert.ok(azurite.blobProcess.exitCode !== null || azurite.blobProcess.signalCode !== null, 'the blob service stopped');
});
