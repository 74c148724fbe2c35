/**
 * Regression (review #3): an error from the stock DurableClient (axios) carries the request URL with the host key
 * and the RPC token; the host's logger must not print them, whichever way the error is logged.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { createDurableHttpApi } from '../../src/host/durable-http-api/index.js';
import type { DurableEngine } from '../../src/durable/engine-api.js';
import { freePort } from '../../src/host/storage/azurite.js';
import { createHostLogger, maskSecrets } from '../../src/host/log-safety.js';
import { MemoryEngine } from '../support/memory-engine.js';

const KEY = 'k3y-that-must-not-leak-0123456789';

test('a DurableClient failure logged by the host shows neither the key nor the RPC token', async () => {
  // Nothing listens on this port: the client's request fails at network level, as during a shutdown.
  const base = `http://127.0.0.1:${await freePort()}`;
  const engine: DurableEngine = new MemoryEngine('LeakHub');
  const api = createDurableHttpApi(engine, { baseUrl: base, taskHubName: 'LeakHub', connectionName: 'AzureWebJobsStorage', systemKey: KEY });
  const data = api.clientBindingData();
  const token = /\/rpc\/([^/]+)\//.exec(String(data.rpcBaseUrl))?.[1];
  assert.ok(token, 'the RPC base carries a token when a key is set');
  const binding = df.input.durableClient();
  const context = new InvocationContext({ functionName: 'leak', options: { extraInputs: [binding] } });
  context.extraInputs.set(binding, data);
  const previous = process.env.WEBSITE_HOSTNAME;
  process.env.WEBSITE_HOSTNAME = new URL(base).host;
  let failure: unknown;
  try {
    await df.getClient(context).getStatus('some-instance');
  } catch (error) {
    failure = error;
  } finally {
    if (previous === undefined) delete process.env.WEBSITE_HOSTNAME;
    else process.env.WEBSITE_HOSTNAME = previous;
  }
  assert.ok(failure instanceof Error, 'the client call failed');
  const status = df.getClient(context).createHttpManagementPayload('some-instance').statusQueryGetUri;
  assert.ok(status.includes(KEY), 'the management links do carry the key (as the extension does)');

  const lines: string[] = [];
  const logger = createHostLogger(
    { level: 'info' },
    new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    }),
  );
  logger.error({ err: failure }, 'timer function failed');
  logger.warn({ error: String((failure).stack) }, 'durable client call failed');
  logger.info(`status at ${status}`);
  const output = lines.join('');
  assert.ok(output.includes('timer function failed'));
  assert.ok(!output.includes(KEY), `the key leaked:\n${output}`);
  assert.ok(!output.includes(token), `the RPC token leaked:\n${output}`);
});

test('maskSecrets masks keys in query strings, the RPC token segment, account keys and signatures', () => {
  assert.equal(maskSecrets('GET /api/x?code=abc&y=1'), 'GET /api/x?code=***&y=1');
  assert.equal(maskSecrets('http://h/runtime/webhooks/durabletask/rpc/t0k3n/instances'), 'http://h/runtime/webhooks/durabletask/rpc/***/instances');
  assert.equal(maskSecrets('AccountName=a;AccountKey=s3cr3t==;EndpointSuffix=x'), 'AccountName=a;AccountKey=***;EndpointSuffix=x');
  assert.equal(maskSecrets('https://a.blob/x?sv=1&sig=abc%2F'), 'https://a.blob/x?sv=1&sig=***');
});
