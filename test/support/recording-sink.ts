/**
 * A real CloudEvents sink on loopback for end-to-end tests: it parses every POST with the cloudevents SDK and
 * records it. It can be told to fail (answer a status) or to go away (close its port) and come back on the same port.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { HTTP, type CloudEvent } from 'cloudevents';

export interface ReceivedEvent {
  id: string;
  type: string;
  source: string;
  time: string;
  sequence: string;
  data: { schedule: string; sequence: number; scheduledTime: string };
  /** The data's media type, when the event named one. */
  datacontenttype?: string;
  /** Data that came as bytes (structured mode's data_base64). */
  dataBase64?: string;
  extensions: Record<string, unknown>;
  /** Receiver's wall-clock time of arrival. */
  receivedAt: number;
}

/** One POST as it arrived, whatever it was answered (failed attempts included). */
export interface SinkAttempt {
  status: number;
  /** The event's id, when the request was a CloudEvent. */
  id?: string;
  /** The W3C `traceparent` HTTP header. */
  traceparent?: string;
  /** The CloudEvents distributed-tracing extension `traceparent`. */
  ceTraceparent?: string;
  /** The Authorization header, when one came (a bearer token, Basic credentials). */
  authorization?: string;
  receivedAt: number;
}

export class RecordingSink {
  readonly events: ReceivedEvent[] = [];
  /** Every POST with what it was answered, in arrival order. */
  readonly attempts: SinkAttempt[] = [];
  /** Status answered instead of 200 while set (e.g. 503). */
  failWith: number | undefined;
  /** Statuses answered to the next POSTs, one each, in order (before failWith; 2xx records the event). */
  script: number[] = [];
  /** Every answer waits this long (a slow sink). */
  delayMs = 0;
  /** Time of `receivedAt` (a simulation sets its virtual clock's). */
  now: () => number = Date.now;
  /**
   * Decides each POST's answer before `script` and `failWith` (a simulation draws them from its seed): a status, a
   * delay in real ms, or `reset` (the connection is destroyed without an answer). Undefined: the usual rules.
   */
  respond: ((event: CloudEvent<unknown> | undefined) => { status?: number; delayMs?: number; reset?: boolean } | undefined) | undefined;
  private server: Server | undefined;
  private port = 0;
  private waiters: Array<{ count: number; resolve: () => void }> = [];

  get url(): string {
    return `http://127.0.0.1:${this.port}/`;
  }

  async start(port = this.port): Promise<this> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.keepAliveTimeout = 1_000;
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    return this;
  }

  /** Closes the port (connections refused until start() again). */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Distinct sequences received so far, in arrival order of their first copy. */
  sequences(): number[] {
    const seen = new Set<number>();
    const out: number[] = [];
    for (const event of this.events) {
      const n = Number(event.sequence);
      if (!seen.has(n)) {
        seen.add(n);
        out.push(n);
      }
    }
    return out;
  }

  /** Resolves when at least `count` events have arrived; rejects after `timeoutMs` (real time). */
  async waitFor(count: number, timeoutMs: number): Promise<void> {
    if (this.events.length >= count) return;
    await new Promise<void>((resolve, reject) => {
      const waiter = { count, resolve };
      this.waiters.push(waiter);
      setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`only ${this.events.length} of ${count} events arrived within ${timeoutMs} ms`));
      }, timeoutMs).unref();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.method !== 'POST') {
      res.writeHead(200).end('Hello World!');
      return;
    }
    let event: CloudEvent<unknown> | undefined;
    let invalid: unknown;
    try {
      const parsed = HTTP.toEvent({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      event = (Array.isArray(parsed) ? parsed[0] : parsed) as CloudEvent<unknown>;
    } catch (error) {
      invalid = error;
    }
    const decided = this.respond?.(event);
    if (decided?.reset) {
      this.attempts.push({ status: 0, receivedAt: this.now(), ...(event !== undefined ? { id: String(event.id) } : {}) });
      req.socket.destroy();
      return;
    }
    const scripted = decided?.status ?? this.script.shift();
    const status = scripted ?? this.failWith ?? (event === undefined ? 400 : 200);
    const header = req.headers['traceparent'];
    const extension = event === undefined ? undefined : (event as unknown as { traceparent?: unknown }).traceparent;
    this.attempts.push({
      status,
      receivedAt: this.now(),
      ...(event !== undefined ? { id: String(event.id) } : {}),
      ...(typeof header === 'string' ? { traceparent: header } : {}),
      ...(typeof extension === 'string' ? { ceTraceparent: extension } : {}),
      ...(req.headers.authorization !== undefined ? { authorization: req.headers.authorization } : {}),
    });
    const delayMs = decided?.delayMs ?? this.delayMs;
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (status < 200 || status > 299 || event === undefined) {
      res.writeHead(status).end(event === undefined && scripted === undefined && this.failWith === undefined ? String(invalid) : undefined);
      return;
    }
    const { id, type, source, time, data, specversion: _v, datacontenttype, data_base64: dataBase64, ...rest } = event.toJSON();
    this.events.push({
      id: String(id),
      type: String(type),
      source: String(source),
      time: String(time),
      sequence: String(rest.sequence),
      data: data as ReceivedEvent['data'],
      ...(typeof datacontenttype === 'string' ? { datacontenttype } : {}),
      ...(typeof dataBase64 === 'string' ? { dataBase64 } : {}),
      extensions: rest,
      receivedAt: this.now(),
    });
    res.writeHead(status).end('Processed');
    for (const waiter of [...this.waiters]) {
      if (this.events.length >= waiter.count) {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        waiter.resolve();
      }
    }
  }
}
