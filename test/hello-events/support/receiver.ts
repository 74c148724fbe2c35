/**
 * The real hello-events server on a free loopback port, its log lines captured, and a raw POST that sends headers
 * exactly as given (node:http, so a test controls every byte of a Content-Type or ce-* value).
 */
import http from 'node:http';
import { createServer, type HelloEventsOptions } from '../../../src/hello-events/server.js';
import { listenLoopback } from '../../support/loopback.js';

export interface Reply {
  readonly status: number;
  readonly text: string;
}

export interface Receiver {
  readonly port: number;
  /** Every JSON log line so far. */
  records(): Record<string, unknown>[];
  post(headers: http.OutgoingHttpHeaders, body?: string | Uint8Array): Promise<Reply>;
  close(): Promise<void>;
}

export async function startReceiver(options: Omit<HelloEventsOptions, 'logger' | 'logDestination'> = {}): Promise<Receiver> {
  const lines: string[] = [];
  const server = createServer({ ...options, logDestination: { write: (line: string) => void lines.push(line) } });
  const loopback = await listenLoopback(server);
  const { port } = loopback;
  return {
    port,
    records: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
    post: (headers, body) => post(port, headers, body),
    close: () => loopback.close(),
  };
}

function post(port: number, headers: http.OutgoingHttpHeaders, body: string | Uint8Array = ''): Promise<Reply> {
  return new Promise<Reply>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
