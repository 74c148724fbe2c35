/**
 * How a hub store's failures are read: which are worth another attempt, and how one is logged (the errors
 * themselves, ConflictError and StorageUnavailableError, are in ../errors.ts). Status codes are HTTP's, as the table service and the
 * memory store both answer.
 */
import { ConflictError, PayloadTooLargeError } from '../errors.js';

export interface RestLikeError {
  statusCode?: number;
  code?: string;
  message?: string;
}

export function statusOf(err: unknown): number | undefined {
  const status = (err as RestLikeError | undefined)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** Error codes of a connection that failed or broke: the service may well answer the next attempt. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'REQUEST_SEND_ERROR',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** A connection-level failure (no answer from the service at all). */
function isNetworkError(err: unknown): boolean {
  const e = err as { code?: unknown; name?: unknown; cause?: unknown } | undefined;
  if (!e || typeof e !== 'object') return false;
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return true;
  if (e.name === 'AbortError' || e.name === 'TimeoutError') return true;
  return e.cause !== undefined && e.cause !== err && isNetworkError(e.cause);
}

/**
 * Only network errors, timeouts (408), throttling (429) and 5xx are worth retrying. Any other answer is final, and so
 * is an error without a status that is not a network error (the SDK throws such for a bad continuation token):
 * retrying those only turns a caller's mistake into a long wait and a 500.
 */
export function isTransient(err: unknown): boolean {
  if (err instanceof ConflictError || err instanceof PayloadTooLargeError) return false;
  const status = statusOf(err);
  if (status === undefined) return isNetworkError(err);
  return status === 408 || status === 429 || status >= 500;
}

/** An error in a form fit for logs: status and message only (never the request, which holds the account). */
export function describe(err: unknown): string {
  const e = err as RestLikeError | undefined;
  const status = statusOf(err);
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const message = (e?.message ?? String(err)).split('\n')[0]?.slice(0, 300) ?? '';
  return [status, code, message].filter((p) => p !== undefined && p !== '').join(' ');
}
