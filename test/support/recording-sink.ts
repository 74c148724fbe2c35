/**
 * The one test sink: a real HTTP(S) server on loopback that records every request as it came (`requests`) and, for
 * CloudEvents, parses every POST with the cloudevents SDK and records the event (`events`, `attempts`). It can be
 * told to fail (answer a status, a script of statuses, a delay, a reset), to answer each request itself (`answer`),
 * or to go away (close its port) and come back on the same port.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { after, before } from 'node:test';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { HTTP, type CloudEvent } from 'cloudevents';
import { listenLoopback, type Loopback } from './loopback.js';

/** One request as it came, whatever it was and whatever it was answered. */
export interface RecordedRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  /** The body as UTF-8 text. */
  body: string;
  /** The body as it came (binary-mode data need not be text). */
  bytes: Buffer;
  /** Which accepted socket carried it (1 for the first). */
  socketId: number;
}

/** Answers a request itself: any status and headers, or no answer at all (a hanging request). */
export type Responder = (req: IncomingMessage, res: ServerResponse) => void;

export interface SinkOptions {
  /** Serve HTTPS with this certificate. */
  tls?: { cert: string; key: string };
  /**
   * How long an idle connection stays open (default 1 s). undici's client (the deliveries') reuses a connection only
   * while it has 2 s left (its keepAliveTimeoutThreshold), so under 2 s every delivery opens a new connection.
   */
  keepAliveTimeoutMs?: number;
}

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
  /** Every POST with what it was answered, in arrival order (not kept while `answer` is set). */
  readonly attempts: SinkAttempt[] = [];
  /** Every request as it came, in arrival order. */
  readonly requests: RecordedRequest[] = [];
  /** Sockets accepted so far. */
  connections = 0;
  /** While set, answers every request (after it is recorded in `requests`) instead of the CloudEvents rules below. */
  answer: Responder | undefined;
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
  private loopback: Loopback | undefined;
  private boundPort = 0;
  private waiters: Array<{ count: number; resolve: () => void }> = [];
  private readonly socketIds = new WeakMap<Socket, number>();

  constructor(private readonly options: SinkOptions = {}) {}

  /**
   * A started sink for delivery tests that look at requests rather than events: it answers 200 with no body to
   * everything until `answer` is set to something else.
   */
  static async answering(options: SinkOptions = {}): Promise<RecordingSink> {
    return answeringSink(options).start();
  }

  /** The port it listens on (kept across stop() and start()). */
  get port(): number {
    return this.boundPort;
  }

  /** The base URL with a trailing slash, e.g. `http://127.0.0.1:40123/`. */
  get url(): string {
    return this.at().href;
  }

  /** A URL on this sink. */
  at(pathAndQuery = '/'): URL {
    return new URL(`${this.options.tls ? 'https' : 'http'}://127.0.0.1:${this.boundPort}${pathAndQuery}`);
  }

  async start(port = this.boundPort): Promise<this> {
    const { tls } = this.options;
    const server = tls ? createHttpsServer({ cert: tls.cert, key: tls.key }) : createServer();
    // A sink that answers every request itself keeps node's keep-alive default (tests count its connections).
    if (this.answer === undefined) server.keepAliveTimeout = this.options.keepAliveTimeoutMs ?? 1_000;
    server.on('connection', (socket: Socket) => this.socketIds.set(socket, ++this.connections));
    server.on('secureConnection', (socket: Socket) => this.socketIds.set(socket, this.connections));
    server.on('request', (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res));
    this.loopback = await listenLoopback(server, port);
    this.boundPort = this.loopback.port;
    return this;
  }

  /** Closes the port (connections refused until start() again). */
  async stop(): Promise<void> {
    const loopback = this.loopback;
    this.loopback = undefined;
    await loopback?.close();
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
    const bytes = Buffer.concat(chunks);
    const socketId = this.socketIds.get(req.socket) ?? -1;
    this.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: bytes.toString('utf8'), bytes, socketId });
    if (this.answer) {
      this.answer(req, res);
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(200).end('Hello World!');
      return;
    }
    await this.answerCloudEvent(req, res, bytes);
  }

  private async answerCloudEvent(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    let event: CloudEvent<unknown> | undefined;
    let invalid: unknown;
    try {
      const parsed = HTTP.toEvent({ headers: req.headers, body: body.toString('utf8') });
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

/** SINK_ALLOWLIST naming these sinks' origins. */
export function allowlistOf(sinks: readonly RecordingSink[]): string {
  return sinks.map((sink) => sink.at().origin).join(',');
}

function answeringSink(options: SinkOptions): RecordingSink {
  const sink = new RecordingSink(options);
  sink.answer = (_req, res) => res.writeHead(200).end();
  return sink;
}

/** For a file or a describe block: a sink like `RecordingSink.answering()`, started before the tests, stopped after. */
export function useAnsweringSink(options: SinkOptions = {}): RecordingSink {
  const sink = answeringSink(options);
  before(() => sink.start());
  after(() => sink.stop());
  return sink;
}
