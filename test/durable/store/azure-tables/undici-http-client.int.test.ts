/** The table client's undici transport, against real loopback servers: answers, headers, and "no answer" errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createHttpHeaders, createPipelineRequest, isRestError, RestError } from '@azure/core-rest-pipeline';
import { createUndiciHttpClient } from '../../../../src/durable/store/azure-tables/undici-http-client.js';
import { isTransient } from '../../../../src/durable/store/storage-failures.js';
import { freePort } from '../../../../src/host/storage/azurite.js';

test('a request goes out with its method, headers and body; the answer comes back uncompressed, with its headers', async () => {
  const seen: { method?: string; encoding?: string; body?: string; custom?: string } = {};
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      Object.assign(seen, { method: req.method, encoding: req.headers['accept-encoding'], body, custom: req.headers['x-ms-test'] });
      res.writeHead(201, { 'content-type': 'application/json', etag: 'W/"1"' });
      res.end('{"ok":true}');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = createUndiciHttpClient();
  try {
    const { port } = server.address() as AddressInfo;
    const request = createPipelineRequest({
      url: `http://127.0.0.1:${port}/acct/T`,
      method: 'POST',
      body: '{"PartitionKey":"p"}',
      headers: createHttpHeaders({ 'x-ms-test': 'yes', 'Accept-Encoding': 'gzip,deflate' }),
    });
    const response = await client.sendRequest(request);
    assert.equal(response.status, 201);
    assert.equal(response.bodyAsText, '{"ok":true}');
    assert.equal(response.headers.get('etag'), 'W/"1"');
    assert.deepEqual(seen, { method: 'POST', encoding: undefined, body: '{"PartitionKey":"p"}', custom: 'yes' }, 'no compression asked for');
  } finally {
    await client.close();
    server.close();
  }
});

test('no answer (a closed port, a reset connection) is a send error the store retries', async () => {
  const client = createUndiciHttpClient();
  const reset = createServer((req) => req.socket.destroy());
  reset.listen(0, '127.0.0.1');
  await once(reset, 'listening');
  try {
    for (const url of [`http://127.0.0.1:${await freePort()}/`, `http://127.0.0.1:${(reset.address() as AddressInfo).port}/`]) {
      const err = await client.sendRequest(createPipelineRequest({ url, method: 'GET' })).catch((e: unknown) => e);
      assert.ok(isRestError(err), String(err));
      assert.equal(err.code, RestError.REQUEST_SEND_ERROR);
      assert.equal(isTransient(err), true, `${url}: ${err.message}`);
    }
  } finally {
    await client.close();
    reset.close();
  }
});
