import { oneLine } from '../core/errors.js';
import { redactUrlsIn } from '../core/redact.js';
import { SinkAddressRefused } from './sink-guard.js';

/**
 * Classification of one delivery attempt, with Knative's rules (its dispatcher's checkRetry): 2xx is success;
 * network errors, timeouts and the statuses 404, 408, 409, 429 and 5xx are retryable; every other status is a
 * failure that retrying will not fix: other 4xx, and 1xx/3xx too (a redirect is not followed: the sink is the URL
 * Knative resolved, and Knative does not retry one either). Retry-After is honoured on 429 and 503, the statuses it
 * belongs to (RFC 9110 §10.2.3; Knative's `delivery-retryafter` reads it on the same two); the delay it asks for
 * is capped by the policy's maxBackoff (core/delivery-policy.ts). Pure: no clock (an HTTP-date Retry-After takes `now`).
 */
type AttemptClass =
  | { ok: true; status: number }
  | { ok: false; status?: number; reason: string; retryable: boolean; retryAfterMs?: number };

const RETRYABLE_STATUSES = new Set([404, 408, 409, 429]);
const RETRY_AFTER_STATUSES = new Set([429, 503]);

function isSuccessStatus(status: number): boolean {
  return status >= 200 && status <= 299;
}

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUSES.has(status) || (status >= 500 && status <= 599);
}

/** Classifies an HTTP response by its status and Retry-After header. */
export function classifyResponse(status: number, retryAfter: string | undefined, now: Date): AttemptClass {
  if (isSuccessStatus(status)) return { ok: true, status };
  const retryAfterMs = RETRY_AFTER_STATUSES.has(status) ? parseRetryAfter(retryAfter, now) : undefined;
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
 * (0 for a date in the past; a delay too large to count in milliseconds is MAX_SAFE_INTEGER, which the policy caps),
 * or undefined when absent or unparseable.
 */
export function parseRetryAfter(value: string | undefined, now: Date): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+$/.test(text)) {
    const ms = Number(text) * 1_000;
    return Number.isSafeInteger(ms) ? ms : Number.MAX_SAFE_INTEGER;
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
  const refused = findRefusal(error);
  if (refused !== undefined) {
    reason = refused.message;
  } else if (timedOut || (code !== undefined && TIMEOUT_CODES.has(code)) || isTimeoutError(error)) {
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

/** The address guard's refusal, wherever undici put it in the error chain. */
function findRefusal(error: unknown, depth = 0): SinkAddressRefused | undefined {
  if (error instanceof SinkAddressRefused) return error;
  if (depth > 5 || typeof error !== 'object' || error === null) return undefined;
  const { cause, errors } = error as { cause?: unknown; errors?: unknown };
  return findRefusal(cause, depth + 1) ?? (Array.isArray(errors) ? findRefusal(errors[0], depth + 1) : undefined);
}

function isTimeoutError(error: unknown): boolean {
  return error instanceof Error && error.name === 'TimeoutError';
}
