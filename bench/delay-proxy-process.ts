/**
 * A loopback TCP proxy in front of the storage service that holds every chunk sent towards storage for
 * BENCH_DELAY_MS (10 ms) before passing it on, in order: each storage call then costs about 10 ms more, as a real
 * storage account does over the network. Responses pass at once. Runs in its own process (`npm run bench`).
 */
import { createConnection, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { serveIpc } from './ipc-child.js';

const delayMs = Number(process.env.BENCH_DELAY_MS ?? 10);
const targetPort = Number(process.env.BENCH_TARGET_PORT);

/** Writes each chunk to `to` delayMs after it arrived on `from`, never out of order. */
function delayedPipe(from: Socket, to: Socket): void {
  const queue: { at: number; chunk: Buffer }[] = [];
  let timer: NodeJS.Timeout | undefined;
  const flush = (): void => {
    timer = undefined;
    const now = Date.now();
    while (queue.length && queue[0]!.at <= now) to.write(queue.shift()!.chunk);
    if (queue.length) timer = setTimeout(flush, queue[0]!.at - now);
  };
  from.on('data', (chunk: Buffer) => {
    queue.push({ at: Date.now() + delayMs, chunk });
    timer ??= setTimeout(flush, delayMs);
  });
  from.on('end', () => {
    const finish = (): void => {
      if (queue.length || timer) setTimeout(finish, delayMs);
      else to.end();
    };
    finish();
  });
}

const server = createServer((client) => {
  const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
  client.setNoDelay(true);
  upstream.setNoDelay(true);
  delayedPipe(client, upstream);
  upstream.pipe(client);
  const close = (): void => {
    client.destroy();
    upstream.destroy();
  };
  client.on('error', close);
  upstream.on('error', close);
  client.on('close', close);
  upstream.on('close', close);
});

server.listen(0, '127.0.0.1', () => serveIpc({ port: (server.address() as AddressInfo).port }, () => true));
