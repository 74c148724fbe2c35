/**
 * The one way tests put a server on loopback: it listens on 127.0.0.1 (a free port unless one is given), and
 * `close()` drops its open connections before closing, so that no keep-alive socket holds a test open.
 */
import { once } from 'node:events';
import { after, before } from 'node:test';
import type { Server } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { late } from './late.js';

export interface Loopback {
  readonly port: number;
  /** `http://127.0.0.1:<port>` (no trailing slash). */
  readonly origin: string;
  /** Closes the port and every open connection; safe to call twice. */
  close(): Promise<void>;
}

/** Starts `server` listening on 127.0.0.1:`port` (0: a free one) and resolves once it listens. */
export async function listenLoopback(server: Server | HttpsServer, port = 0): Promise<Loopback> {
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  const bound = (server.address() as AddressInfo).port;
  let closed: Promise<void> | undefined;
  return {
    port: bound,
    origin: `http://127.0.0.1:${bound}`,
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      return closed;
    },
  };
}

/**
 * For a file or a describe block: `server` listens on loopback before the tests and is closed after them. The
 * returned Loopback stands for the listening server once `before` ran.
 */
export function listenDuringTests(server: Server | HttpsServer): Loopback {
  let loopback: Loopback | undefined;
  before(async () => {
    loopback = await listenLoopback(server);
  });
  after(() => loopback?.close());
  return late('the server', () => loopback);
}
