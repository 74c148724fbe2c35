import http from 'node:http';
import type pino from 'pino';
import { trace, type Tracer } from '@opentelemetry/api';
import { createLogger, type Logger } from './logger.js';
import { BodyTooLargeError, declaredLength, readBody } from './read-body.js';
import { parseCloudEvents } from './parse-event.js';
import { DedupWindow } from './dedup-window.js';
import type { ReceivedEvent } from './received-event.js';
import { incomingContext, startEventSpan, traceFields } from './trace-context.js';

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

export interface HelloEventsOptions {
  /** Logger to use; default: a pino logger on `logDestination`, or stdout. */
  readonly logger?: Logger;
  /** Where the default logger writes (ignored when `logger` is given). */
  readonly logDestination?: pino.DestinationStream;
  /** Largest accepted request body in bytes; default 1 MiB. */
  readonly maxBodyBytes?: number;
  /** Time a client has to send the request headers; default 10 s (a slow-loris client is cut off). */
  readonly headersTimeoutMs?: number;
  /** Time a client has to send the whole request; default 30 s. */
  readonly requestTimeoutMs?: number;
  /** The recent (source, id) pairs; default: a window with DEFAULT_DEDUP's bounds. */
  readonly dedupWindow?: DedupWindow;
  /** Makes the span of each received event; default: the global tracer provider's (a no-op unless one is registered). */
  readonly tracer?: Tracer;
}

export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** An idle keep-alive connection is closed after this (the event source's pooled agent reconnects). */
export const KEEP_ALIVE_TIMEOUT_MS = 5_000;

/** The hello-events receiver as a node:http server (not yet listening). */
export function createServer(options: HelloEventsOptions = {}): http.Server {
  const logger = options.logger ?? createLogger(options.logDestination);
  const context: Context = {
    logger,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    dedup: options.dedupWindow ?? new DedupWindow(),
    tracer: options.tracer ?? trace.getTracer('hello-events'),
  };
  const { maxBodyBytes } = context;
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    handle(req, res, context).catch((error: unknown) => {
      logger.error({ err: error }, 'request failed');
      if (!res.headersSent) send(res, 500, 'Internal Server Error');
      else res.destroy();
    });
  };
  const headersTimeout = options.headersTimeoutMs ?? DEFAULT_HEADERS_TIMEOUT_MS;
  const requestTimeout = Math.max(options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS, headersTimeout);
  const server = http.createServer(
    {
      headersTimeout,
      requestTimeout,
      keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
      // How often Node checks the two timeouts above; its default (30 s) would let a short timeout run long.
      connectionsCheckingInterval: Math.min(1_000, headersTimeout),
      maxHeaderSize: 16 * 1024,
    },
    onRequest,
  );
  // With `Expect: 100-continue` an oversize body is refused before the client sends it.
  server.on('checkContinue', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const declared = declaredLength(req);
    if (declared !== undefined && declared > maxBodyBytes) {
      tooLarge(req, res, logger, maxBodyBytes);
      return;
    }
    res.writeContinue();
    onRequest(req, res);
  });
  return server;
}

interface Context {
  readonly logger: Logger;
  readonly maxBodyBytes: number;
  readonly dedup: DedupWindow;
  readonly tracer: Tracer;
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse, context: Context): Promise<void> {
  const { logger, maxBodyBytes } = context;
  const path = (req.url ?? '/').split('?', 1)[0];
  if (path === '/healthz') {
    // What the Kubernetes/Knative probes call: the process is up and its event loop answers.
    if (req.method === 'GET' || req.method === 'HEAD') send(res, 200, 'ok');
    else send(res, 405, 'Method Not Allowed', { allow: 'GET, HEAD' });
    return;
  }
  if (path !== '/') {
    send(res, 404, 'Not Found');
    return;
  }
  if (req.method === 'GET' || req.method === 'HEAD') {
    send(res, 200, 'Hello World!');
    return;
  }
  if (req.method !== 'POST') {
    send(res, 405, 'Method Not Allowed', { allow: 'GET, HEAD, POST' });
    return;
  }

  const declared = declaredLength(req);
  if (declared !== undefined && declared > maxBodyBytes) {
    tooLarge(req, res, logger, maxBodyBytes);
    return;
  }
  let body: Buffer;
  try {
    body = await readBody(req, maxBodyBytes);
  } catch (error) {
    if (error instanceof BodyTooLargeError) {
      tooLarge(req, res, logger, maxBodyBytes);
      return;
    }
    // The client went away mid-body: nobody is left to answer.
    logger.debug({ err: error }, 'request body not received');
    res.destroy();
    return;
  }

  const result = parseCloudEvents(req.headers, body);
  if (!result.ok) {
    logger.warn({ status: 400, problem: result.problem }, 'rejected request: not a valid CloudEvent');
    send(res, 400, result.problem);
    return;
  }
  for (const event of result.events) receive(req, event, context);
  // A duplicate is still a 2xx. Knative's data-plane contract (knative/specs, specs/eventing/data-plane.md) says a
  // sink MUST be able to handle duplicate events (its delivery is at-least-once), and its senders retry 404, 408,
  // 409, 429 and 5xx and dead-letter other 4xx at once: a sink that answered a duplicate with 409 would have the
  // sender retry it until the retries ran out and then dead-letter it, another 4xx would dead-letter it straight
  // away. The event was processed the first time.
  send(res, 200, 'Processed');
}

/** Deduplicates, continues the trace with a span of its own and logs one line, with the trace id on it. */
function receive(req: http.IncomingMessage, event: ReceivedEvent, context: Context): void {
  const { logger } = context;
  const { id, source } = event.attributes;
  const seen = context.dedup.check(String(source), String(id));
  const span = startEventSpan(context.tracer, incomingContext(req.headers, event), event, seen.duplicate);
  try {
    if (seen.duplicate) {
      const at = seen.firstSeen.toISOString();
      logger.info(
        { ...traceFields(span), duplicate: true, firstSeen: at, event: event.attributes },
        `duplicate event ${oneLine(String(id))} from ${oneLine(String(source))} (first seen ${at})`,
      );
      return;
    }
    logger.info({ ...traceFields(span), event: { ...event.attributes, ...loggableData(event) } }, 'event received');
  } finally {
    span.end();
  }
}

/** An attribute as it can stand in a log message: control characters escaped, long ones cut (the fields keep it whole). */
function oneLine(text: string): string {
  const escaped = JSON.stringify(text).slice(1, -1);
  return escaped.length > 120 ? `${escaped.slice(0, 119)}…` : escaped;
}

/** Binary data is logged as base64; anything else as it came. */
function loggableData(event: ReceivedEvent): { data?: unknown; data_base64?: string } {
  if (event.dataBase64 !== undefined) return { data_base64: event.dataBase64 };
  return 'data' in event ? { data: event.data } : {};
}

function tooLarge(req: http.IncomingMessage, res: http.ServerResponse, logger: Logger, limit: number): void {
  logger.warn({ status: 413, limit }, 'rejected request: body too large');
  // The rest of the body is never read; closing the connection is the only way to be rid of it.
  send(res, 413, `Payload Too Large: the limit is ${limit} bytes`, { connection: 'close' });
  req.pause();
}

function send(res: http.ServerResponse, status: number, text: string, headers: http.OutgoingHttpHeaders = {}): void {
  res.writeHead(status, {
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}
