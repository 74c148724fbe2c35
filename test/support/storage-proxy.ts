/**
 * A TCP proxy on loopback in front of a storage port (Azurite), to make storage misbehave for one client:
 * - cut(): every connection is reset and new ones are refused until restore();
 * - loseResponses(true): requests still reach storage (and commit), but their answers are swallowed and the
 *   connection is reset: the "lost response" a retry then trips over.
 */
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';

export interface StorageProxy {
  port: number;
  cut(): void;
  restore(): void;
  loseResponses(on: boolean): void;
  close(): Promise<void>;
}

export async function startStorageProxy(targetPort: number): Promise<StorageProxy> {
  let down = false;
  let losing = false;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    if (down) {
      client.destroy();
      return;
    }
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      if (losing) drop();
      else client.write(chunk);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const resetAll = (): void => {
    for (const s of sockets) s.destroy();
    sockets.clear();
  };
  return {
    port,
    cut() {
      down = true;
      resetAll();
    },
    restore() {
      down = false;
    },
    loseResponses(on: boolean) {
      losing = on;
    },
    close: () =>
      new Promise<void>((resolve) => {
        resetAll();
        server.close(() => resolve());
      }),
  };
}
