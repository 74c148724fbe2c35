/** The table client's undici transport, against real loopback servers: answers, headers, and "no answer" errors. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHttpHeaders, createPipelineRequest, isRestError, RestError } from '@azure/core-rest-pipeline';
import { createUndiciHttpClient } from '../../../../src/durable/store/azure-tables/undici-http-client.js';
import { isTransient } from '../../../../src/durable/store/storage-failures.js';
import { freePort } from '../../../../src/host/storage/azurite.js';
import { RecordingSink } from '../../../support/recording-sink.js';

test('a request goes out with its method, headers and body; the answer comes back uncompressed, with its headers', async () => {
  const server = await RecordingSink.answering();
  server.answer = (_req, res) => res.writeHead(201, { 'content-type': 'application/json', etag: 'W/"1"' }).end('{"ok":true}');
  const client = createUndiciHttpClient();
  try {
    const request = createPipelineRequest({
      url: server.at('/acct/T').href,
      method: 'POST',
      body: '{"PartitionKey":"p"}',
      headers: createHttpHeaders({ 'x-ms-test': 'yes', 'Accept-Encoding': 'gzip,deflate' }),
    });
    const response = await client.sendRequest(request);
    assert.equal(response.status, 201);
    assert.equal(response.bodyAsText, '{"ok":true}');
    assert.equal(response.headers.get('etag'), 'W/"1"');
    const [req] = server.requests;
    const seen = { method: req?.method, encoding: req?.headers['accept-encoding'], body: req?.body, custom: req?.headers['x-ms-test'] };
    assert.deepEqual(seen, { method: 'POST', encoding: undefined, body: '{"PartitionKey":"p"}', custom: 'yes' }, 'no compression asked for');
  } finally {
    await client.close();
    await server.stop();
  }
});

test('no answer (a closed port, a reset connection) is a send error the store retries', async () => {
  const client = createUndiciHttpClient();
  const reset = await RecordingSink.answering();
  reset.answer = (req) => req.socket.destroy();
  try {
    for (const url of [`http://127.0.0.1:${await freePort()}/`, reset.url]) {
      const err = await client.sendRequest(createPipelineRequest({ url, method: 'GET' })).catch((e: unknown) => e);
      assert.ok(isRestError(err), String(err));
      assert.equal(err.code, RestError.REQUEST_SEND_ERROR);
      assert.equal(isTransient(err), true, `${url}: ${err.message}`);
    }
  } finally {
    await client.close();
    await reset.stop();
  }
});
