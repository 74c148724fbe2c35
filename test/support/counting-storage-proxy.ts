/**
 * An HTTP proxy in front of Azurite's table endpoint that counts storage round trips by kind: what the engine really
 * sends, seen from outside the engine (no hook inside it). Kinds: `transaction` ($batch), `query` (a GET listing
 * entities), `get` (a GET of one entity), `write` (single-entity PUT/POST/PATCH/MERGE/DELETE), `table` (table ops).
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { once } from 'node:events';

export type CallKind = 'transaction' | 'query' | 'get' | 'write' | 'table';

export interface CountingProxy {
  readonly port: number;
  counts(): Record<CallKind, number>;
  total(): number;
  reset(): void;
  close(): Promise<void>;
}

function kindOf(req: IncomingMessage): CallKind {
  const url = req.url ?? '';
  if (url.includes('$batch')) return 'transaction';
  if (/\/Tables(\(|\?|$)/.test(url)) return 'table';
  if (req.method === 'GET') return /\(PartitionKey=/.test(decodeURIComponent(url)) ? 'get' : 'query';
  return 'write';
}

function empty(): Record<CallKind, number> {
  return { transaction: 0, query: 0, get: 0, write: 0, table: 0 };
}

export async function startCountingProxy(targetPort: number): Promise<CountingProxy> {
  let counts = empty();
  const server: Server = createServer((req, res) => {
    counts[kindOf(req)]++;
    const upstream = request(
      { host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  server.keepAliveTimeout = 1_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    counts: () => ({ ...counts }),
    total: () => Object.values(counts).reduce((a, b) => a + b, 0),
    reset: () => {
      counts = empty();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
