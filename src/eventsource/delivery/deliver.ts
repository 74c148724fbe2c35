import { performance } from 'node:perf_hooks';
import type { CloudEventV1 } from 'cloudevents';
import { request, type Dispatcher } from 'undici';
import { EventSourceError } from '../core/errors.js';
import { redactUrl } from '../core/redact.js';
import { classifyNetworkError, classifyResponse } from './classify.js';
import { createDispatcher } from './dispatcher.js';
import { encodeEvent, type EncodingMode } from './encode.js';

export type DeliveryOutcome =
  | { ok: true; status: number; durationMs: number }
  | {
      ok: false;
      status?: number;
      reason: string;
      retryable: boolean;
      retryAfterMs?: number;
      durationMs: number;
      /** The start of a failure response's body (at most ERROR_BODY_BYTES), for a dead letter's knativeerrordata. */
      body?: Uint8Array;
    };

/** How much of a failure response's body is kept: base64 of it fits Knative's 1,024-character knativeerrordata. */
export const ERROR_BODY_BYTES = 768;

export interface DeliveryOptions {
  sink: URL;
  mode: EncodingMode;
  /** Per-attempt deadline: connect, send and response headers+body. */
  timeoutMs: number;
  /** PEM bundle trusted for an https sink (K_CA_CERTS). */
  caCerts?: string;
  /** Extra headers on every request (e.g. Authorization). CloudEvents headers always win. */
  headers?: Record<string, string>;
  /**
   * The shared connection pools (createDispatcher) to send through; the delivery then leaves them open on close().
   * Without one, the delivery makes its own (with caCerts) and closes it.
   */
  dispatcher?: Dispatcher;
}

interface DeliverOptions {
  /** Headers for this attempt only, e.g. a freshly re-read OIDC token. */
  headers?: Record<string, string>;
}

export interface Delivery {
  /** The sink without credentials, query or fragment (scheme, host, port, path): what a dead letter names. */
  readonly destination: string;
  /** One attempt to POST the event to the sink. Never throws for HTTP or network problems: returns an outcome. */
  deliver(event: CloudEventV1<unknown>, options?: DeliverOptions): Promise<DeliveryOutcome>;
  /** Closes the pooled connections. */
  close(): Promise<void>;
}

/** Drains at most this much of a response body; a bigger one closes the socket instead (no keep-alive). */
const BODY_DUMP_LIMIT = 256 * 1024;

/**
 * A delivery to one sink over one pooled keep-alive agent. Userinfo in the sink URL is sent as Basic credentials
 * (unless an Authorization header is given) and never appears in an outcome's reason.
 */
export function createDelivery(options: DeliveryOptions): Delivery {
  const sink = new URL(options.sink.href);
  if (sink.protocol !== 'http:' && sink.protocol !== 'https:') {
    throw new EventSourceError('DELIVERY_INVALID', `sink ${redactUrl(sink)} is not an http or https URL`);
  }
  if (!Number.isSafeInteger(options.timeoutMs) || options.timeoutMs <= 0) {
    throw new EventSourceError('DELIVERY_INVALID', `timeoutMs must be a positive integer, got ${options.timeoutMs}`);
  }
  const baseHeaders = lowerCaseKeys(options.headers ?? {});
  if ((sink.username !== '' || sink.password !== '') && baseHeaders['authorization'] === undefined) {
    const user = decodeURIComponent(sink.username);
    const password = decodeURIComponent(sink.password);
    baseHeaders['authorization'] = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  }
  sink.username = '';
  sink.password = '';
  sink.hash = '';
  const target = sink.href;
  const timeoutMs = options.timeoutMs;
  const owned = options.dispatcher === undefined;
  const dispatcher: Dispatcher = options.dispatcher ?? createDispatcher({
    connectTimeoutMs: timeoutMs,
    ...(options.caCerts !== undefined ? { caCerts: options.caCerts } : {}),
  });
  const destination = `${sink.protocol}//${sink.host}${sink.pathname}`;

  async function deliver(event: CloudEventV1<unknown>, deliverOptions: DeliverOptions = {}): Promise<DeliveryOutcome> {
    const encoded = encodeEvent(event, options.mode);
    const headers = { ...baseHeaders, ...lowerCaseKeys(deliverOptions.headers ?? {}), ...encoded.headers };
    const signal = AbortSignal.timeout(timeoutMs);
    const started = performance.now();
    const elapsed = (): number => Math.round(performance.now() - started);
    let status: number;
    let retryAfter: string | undefined;
    let body: Uint8Array | undefined;
    try {
      const response = await request(target, {
        method: 'POST',
        headers,
        body: encoded.body,
        dispatcher,
        signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      status = response.statusCode;
      const header = response.headers['retry-after'];
      retryAfter = Array.isArray(header) ? header[0] : header;
      if (status >= 200 && status <= 299) {
        // Drain the body so the connection goes back to the pool. Its outcome does not change the status verdict.
        await response.body.dump({ limit: BODY_DUMP_LIMIT, signal }).catch(() => undefined);
      } else {
        body = await readStart(response.body);
      }
      // undici marks the connection idle on a later turn of the event loop; yield once so that a delivery sent
      // right after this one reuses it instead of opening a second connection.
      await new Promise<void>((resolve) => setImmediate(resolve));
    } catch (error) {
      return { ...classifyNetworkError(error, timeoutMs, signal.aborted), durationMs: elapsed() };
    }
    const verdict = classifyResponse(status, retryAfter, new Date());
    if (verdict.ok) return { ...verdict, durationMs: elapsed() };
    return { ...verdict, durationMs: elapsed(), ...(body !== undefined ? { body } : {}) };
  }

  return {
    destination,
    deliver,
    async close(): Promise<void> {
      if (owned) await dispatcher.close();
    },
  };
}

/**
 * Keeps the first ERROR_BODY_BYTES of a failure response and drains the rest (up to BODY_DUMP_LIMIT, so the
 * connection can be reused; a longer body is cut off, which closes that connection). A body that breaks off is
 * kept as far as it came: the status already decided the attempt.
 */
async function readStart(stream: AsyncIterable<Buffer> & { destroy(): unknown }): Promise<Uint8Array> {
  const kept: Buffer[] = [];
  let keptBytes = 0;
  let total = 0;
  try {
    for await (const chunk of stream) {
      total += chunk.length;
      if (keptBytes < ERROR_BODY_BYTES) {
        const part = chunk.subarray(0, ERROR_BODY_BYTES - keptBytes);
        kept.push(part);
        keptBytes += part.length;
      }
      if (total > BODY_DUMP_LIMIT) {
        stream.destroy();
        break;
      }
    }
  } catch {
    // Broken off or timed out: what arrived is what there is.
  }
  return new Uint8Array(Buffer.concat(kept));
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) result[name.toLowerCase()] = value;
  return result;
}
