/**
 * Serves a Durable HTTP API on a real node:http server on 127.0.0.1 (port 0) and builds the STOCK durable-functions
 * DurableClient from its binding data exactly as `df.getClient(context)` does in a function invocation.
 */
import { createServer, type Server } from 'node:http';
import { after, before } from 'node:test';
import type * as df from 'durable-functions';
import { createDurableHttpApi, type HttpApiOptions } from '../../../src/host/durable-http-api/index.js';
import type { DurableEngine } from '../../../src/durable/engine-api.js';
import type { DurableHttpApi } from '../../../src/host/durable-http-api/http-api-types.js';
import { late } from '../../support/late.js';
import { stockClient } from '../../support/stock-client.js';
import { listenLoopback } from '../../support/loopback.js';

export const HOOK = '/runtime/webhooks/durabletask';

export interface ServedApi {
  api: DurableHttpApi;
  baseUrl: string;
  /** `${baseUrl}${HOOK}`: the webhook routes' base. */
  hook: string;
  /** Requests the API did not claim (answered 404 by the test server itself). */
  unclaimed: string[];
  /**
   * A stock DurableClient, made by df.getClient from a durableClient binding carrying clientBindingData().
   * `legacy` drops rpcBaseUrl, so the client uses the management url templates (its pre-RPC form).
   */
  client(form?: { legacy?: boolean }): df.DurableClient;
  close(): Promise<void>;
}

export const TEST_CONNECTION = 'AzureWebJobsStorage';

export async function serveApi(
  engine: DurableEngine,
  extra: Partial<Pick<HttpApiOptions, 'systemKey' | 'clock' | 'hasOrchestration'>> = {},
): Promise<ServedApi> {
  // eslint-disable-next-line prefer-const -- the server's handler is built before the API it serves
  let api: DurableHttpApi | undefined;
  const unclaimed: string[] = [];
  const server: Server = createServer((req, res) => {
    if (!api) throw new Error('api not ready');
    api.handle(req, res).then(
      (claimed) => {
        if (claimed) return;
        unclaimed.push(req.url ?? '');
        res.writeHead(404, { 'x-test-server': 'unclaimed' });
        res.end();
      },
      (error: unknown) => {
        res.writeHead(599);
        res.end(String(error));
      },
    );
  });
  const loopback = await listenLoopback(server);
  const { port } = loopback;
  const baseUrl = loopback.origin;
  api = createDurableHttpApi(engine, {
    baseUrl,
    taskHubName: engine.taskHubName,
    connectionName: TEST_CONNECTION,
    ...extra,
  });
  const served = api;

  // getClient rewrites the binding's url origins to http://localhost:7071 unless WEBSITE_HOSTNAME is set, as the
  // Functions host sets it; the embedded host must set it too.
  const previousHostname = process.env.WEBSITE_HOSTNAME;
  process.env.WEBSITE_HOSTNAME = `127.0.0.1:${port}`;

  return {
    api: served,
    baseUrl,
    hook: `${baseUrl}${HOOK}`,
    unclaimed,
    client(form = {}) {
      const data = served.clientBindingData();
      if (form.legacy) delete data.rpcBaseUrl;
      return stockClient(data);
    },
    async close() {
      if (previousHostname === undefined) delete process.env.WEBSITE_HOSTNAME;
      else process.env.WEBSITE_HOSTNAME = previousHostname;
      await loopback.close();
    },
  };
}

/** For a describe block: `engine` served before its tests, closed after them. */
export function useServedApi(engine: DurableEngine, extra: Parameters<typeof serveApi>[1] = {}): ServedApi {
  let served: ServedApi | undefined;
  before(async () => {
    served = await serveApi(engine, extra);
  });
  after(() => served?.close());
  return late('the served API', () => served);
}

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  json(): unknown;
}

/** A plain HTTP call (global fetch), for what the stock client does not expose: headers, exact codes, bodies. */
export async function call(url: string, init: RequestInit = {}): Promise<RawResponse> {
  const response = await fetch(url, init);
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    text,
    json: () => JSON.parse(text) as unknown,
  };
}
