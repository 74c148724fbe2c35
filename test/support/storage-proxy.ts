/**
 * An HTTP proxy on loopback in front of a storage port (Azurite): it sees what a client really sends (no hook inside
 * the client) and can make storage misbehave for that client alone.
 * - counts(): storage round trips by kind: `transaction` ($batch), `query` (a GET listing entities), `get` (a GET of
 *   one entity), `write` (single-entity PUT/POST/PATCH/MERGE/DELETE), `table` (table ops); reset() starts again;
 * - cut(): every connection is reset and new ones are refused until restore();
 * - loseResponses(true): requests still reach storage (and commit), but their answers are swallowed and the
 *   connection is reset: the "lost response" a retry then trips over; loseNext('transaction') does it to the next
 *   request of that kind alone; loseEvery('transaction', n) to every n-th of that kind from then on (0: stops);
 * - hold('transaction'): requests of that kind never reach storage (nor get an answer) until hold(undefined), which
 *   drops them: the client hangs there, as one killed at that instant would have left things; held() counts them.
 */
import { createServer, request, type ClientRequest, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { listenLoopback } from './loopback.js';

export type CallKind = 'transaction' | 'query' | 'get' | 'write' | 'table';

export interface StorageProxy {
  readonly port: number;
  counts(): Record<CallKind, number>;
  /**
   * Round trips since reset() that the client may make again: answered 408, 429 or 5xx (which its retry policy
   * repeats), or never answered in full (the client gave up waiting, or the proxy lost the answer).
   */
  failures(): Record<CallKind, number>;
  total(): number;
  reset(): void;
  cut(): void;
  restore(): void;
  loseResponses(on: boolean): void;
  loseNext(kind: CallKind): void;
  loseEvery(kind: CallKind, n: number): void;
  hold(kind: CallKind | undefined): void;
  held(): number;
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

export async function startStorageProxy(targetPort: number): Promise<StorageProxy> {
  let counts = empty();
  let failed = empty();
  let down = false;
  let losing = false;
  let loseKind: CallKind | undefined;
  let every: { kind: CallKind; n: number; seen: number } | undefined;
  let holding: CallKind | undefined;
  const held = new Set<IncomingMessage>();
  const clients = new Set<Socket>();
  const inFlight = new Set<ClientRequest>();
  const server = createServer((req, res) => {
    const kind = kindOf(req);
    counts[kind]++;
    const tally = failed;
    res.on('close', () => {
      if (!res.writableFinished || res.statusCode === 408 || res.statusCode === 429 || res.statusCode >= 500) tally[kind]++;
    });
    const nth = every?.kind === kind && ++every.seen % every.n === 0;
    const lose = losing || loseKind === kind || nth;
    if (loseKind === kind) loseKind = undefined;
    if (holding !== undefined && kind === holding) {
      held.add(req);
      return;
    }
    const upstream = request(
      { host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        if (lose) {
          answer.destroy();
          req.socket.destroy();
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    inFlight.add(upstream);
    upstream.on('close', () => inFlight.delete(upstream));
    // Storage unreachable (or cut off mid-request) looks to the client as it would without a proxy: a reset.
    upstream.on('error', () => req.socket.destroy());
    req.pipe(upstream);
  });
  server.on('connection', (socket: Socket) => {
    if (down) {
      socket.destroy();
      return;
    }
    clients.add(socket);
    socket.on('close', () => clients.delete(socket));
  });
  server.keepAliveTimeout = 1_000;
  const loopback = await listenLoopback(server);
  const { port } = loopback;
  const resetAll = (): void => {
    for (const s of clients) s.destroy();
    for (const r of inFlight) r.destroy();
    clients.clear();
    inFlight.clear();
  };
  return {
    port,
    counts: () => ({ ...counts }),
    failures: () => ({ ...failed }),
    total: () => Object.values(counts).reduce((a, b) => a + b, 0),
    reset: () => {
      counts = empty();
      failed = empty();
    },
    cut() {
      down = true;
      resetAll();
    },
    restore() {
      down = false;
    },
    loseEvery(kind: CallKind, n: number) {
      every = n > 0 ? { kind, n, seen: 0 } : undefined;
    },
    loseNext(kind: CallKind) {
      loseKind = kind;
    },
    loseResponses(on: boolean) {
      losing = on;
    },
    hold(kind: CallKind | undefined) {
      holding = kind;
      if (kind !== undefined) return;
      for (const req of held) req.socket.destroy();
      held.clear();
    },
    held: () => held.size,
    close() {
      resetAll();
      return loopback.close();
    },
  };
}
