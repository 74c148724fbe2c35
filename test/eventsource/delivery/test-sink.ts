/**
 * A programmable HTTP(S) sink on 127.0.0.1 (port 0) for delivery tests: it records every request (headers, body,
 * which socket carried it) and answers with whatever `respond` decides, or never answers.
 */
import { once } from 'node:events';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  /** The body as UTF-8 text. */
  body: string;
  /** The body as it came (binary-mode data need not be text). */
  bytes: Buffer;
  socketId: number;
}

export type Responder = (req: IncomingMessage, res: ServerResponse) => void;

export class TestSink {
  readonly requests: RecordedRequest[] = [];
  /** Sockets the server accepted. */
  connections = 0;
  respond: Responder = (_req, res) => res.writeHead(200).end();
  private readonly server: Server;
  private readonly socketIds = new WeakMap<Socket, number>();

  private constructor(server: Server, private readonly secure: boolean) {
    this.server = server;
    server.on('connection', (socket: Socket) => {
      this.connections += 1;
      this.socketIds.set(socket, this.connections);
    });
    server.on('secureConnection', (socket: Socket) => this.socketIds.set(socket, this.connections));
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        this.requests.push({
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          bytes: Buffer.concat(chunks),
          socketId: this.socketIds.get(req.socket) ?? -1,
        });
        this.respond(req, res);
      });
    });
  }

  static async start(tls?: { cert: string; key: string }): Promise<TestSink> {
    const server = tls ? createHttpsServer({ cert: tls.cert, key: tls.key }) : createHttpServer();
    const sink = new TestSink(server, tls !== undefined);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return sink;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  url(pathAndQuery = '/'): URL {
    return new URL(`${this.secure ? 'https' : 'http'}://127.0.0.1:${this.port}${pathAndQuery}`);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createHttpServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
