import { oneLine } from '../errors.js';
import { redactUrlsIn } from '../redact.js';

/**
 * Classification of one delivery attempt, with Knative's rules: 2xx is success; network errors, timeouts and the
 * statuses 404, 408, 409, 429 and 5xx are retryable; other 4xx are failures that retrying will not fix. Knative
 * says nothing of 3xx: a redirect is not followed (the event is not re-posted elsewhere) and counts as retryable,
 * because dropping the tick for good would lose it over what is usually a sink being moved or misconfigured; the
 * status shows the reason meanwhile. Pure: no clock (the HTTP-date form of Retry-After takes `now`).
 */
export type AttemptClass =
  | { ok: true; status: number }
  | { ok: false; status?: number; reason: string; retryable: boolean; retryAfterMs?: number };

const RETRYABLE_STATUSES = new Set([404, 408, 409, 429]);

export function isSuccessStatus(status: number): boolean {
  return status >= 200 && status <= 299;
}

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUSES.has(status) || (status >= 500 && status <= 599) || (status >= 300 && status <= 399);
}

/** Classifies an HTTP response by its status and Retry-After header. */
export function classifyResponse(status: number, retryAfter: string | undefined, now: Date): AttemptClass {
  if (isSuccessStatus(status)) return { ok: true, status };
  const retryAfterMs = parseRetryAfter(retryAfter, now);
  return {
    ok: false,
    status,
    reason: `HTTP ${status}`,
    retryable: isRetryableStatus(status),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  };
}

/**
 * Parses a Retry-After header (RFC 9110 §10.2.3): delay-seconds or an HTTP-date. Returns milliseconds from `now`
 * (0 for a date in the past), or undefined when absent or unparseable.
 */
export function parseRetryAfter(value: string | undefined, now: Date): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+$/.test(text)) {
    const ms = Number(text) * 1_000;
    return Number.isSafeInteger(ms) ? ms : undefined;
  }
  // An HTTP-date always names a weekday and GMT ("Wed, 21 Oct 2015 07:28:00 GMT"); refuse other free text that
  // Date.parse would happily guess at.
  if (!/^[A-Za-z]{3},? .*\d{2}:\d{2}:\d{2} GMT$/.test(text) && !/^[A-Za-z]+, \d{2}-[A-Za-z]{3}-\d{2} /.test(text)) {
    return undefined;
  }
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now.getTime());
}

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed while sending',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'DNS lookup failed',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_SOCKET: 'connection closed by the sink',
  UND_ERR_CLOSED: 'connection closed',
  UND_ERR_CONNECT_TIMEOUT: 'connect timeout',
};

const TLS_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_UNTRUSTED', 'CERT_SIGNATURE_FAILURE',
]);

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/**
 * Classifies an error thrown while sending (no usable response). Always retryable, as Knative retries network
 * errors: a sink that is down, restarting or being rescheduled comes back. `timedOut` is the caller's knowledge that
 * its own per-attempt deadline fired.
 */
export function classifyNetworkError(
  error: unknown,
  timeoutMs: number,
  timedOut = false,
): { ok: false; reason: string; retryable: true } {
  const code = findErrorCode(error);
  let reason: string;
  if (timedOut || (code !== undefined && TIMEOUT_CODES.has(code)) || isTimeoutError(error)) {
    reason = `timeout after ${timeoutMs} ms`;
  } else if (code !== undefined && TLS_CODES.has(code)) {
    reason = `TLS certificate of the sink not trusted (${code})`;
  } else if (code !== undefined && NETWORK_REASONS[code] !== undefined) {
    reason = `${NETWORK_REASONS[code]} (${code})`;
  } else if (code !== undefined) {
    reason = `network error (${code})`;
  } else {
    const message = error instanceof Error ? error.message : String(error);
    reason = `network error: ${redactUrlsIn(oneLine(message)).slice(0, 200)}`;
  }
  return { ok: false, reason, retryable: true };
}

/** The first `code` in an error, its `cause` chain or an AggregateError's `errors` (Node/undici put it deep). */
function findErrorCode(error: unknown, depth = 0): string | undefined {
  if (depth > 5 || typeof error !== 'object' || error === null) return undefined;
  const { code, cause, errors } = error as { code?: unknown; cause?: unknown; errors?: unknown };
  // undici wraps real socket errors; prefer the more specific inner code when there is one.
  const inner = findErrorCode(cause, depth + 1) ?? (Array.isArray(errors) ? findErrorCode(errors[0], depth + 1) : undefined);
  if (inner !== undefined) return inner;
  return typeof code === 'string' && code !== 'UND_ERR_ABORTED' ? code : undefined;
}

function isTimeoutError(error: unknown): boolean {
  return error instanceof Error && error.name === 'TimeoutError';
}
