/**
 * A loopback sink whose paths behave differently, so that the dashboard has every kind of tick to show:
 * `/` answers 200 at once, `/flaky` 503 to every other request (failed, then delivered late on the retry),
 * `/slow` 200 after 1.3 s (late), `/refuse` 400 to every other request (rejected), `/gone` always 410 (dead-lettered
 * when the schedule has a dead-letter sink), `/dlq` 200 (the dead-letter sink).
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export class FaultSink {
  /** Requests received per path. */
  readonly counts = new Map<string, number>();
  private server: Server | undefined;
  private port = 0;

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 1_000;
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    for await (const _chunk of req) {
      // Drain the body: the event itself is not what these tests look at.
    }
    const path = new URL(req.url ?? '/', 'http://sink').pathname;
    const n = (this.counts.get(path) ?? 0) + 1;
    this.counts.set(path, n);
    let status = 200;
    if (path === '/flaky' && n % 2 === 1) status = 503;
    if (path === '/refuse' && n % 2 === 0) status = 400;
    if (path === '/gone') status = 410;
    if (path === '/slow') await new Promise((resolve) => setTimeout(resolve, 1_300));
    res.writeHead(status, { 'content-type': 'text/plain' });
    res.end(status === 200 ? 'ok' : 'no');
  }
}
