import { InstanceAlreadyExistsError, InstanceNotFoundError, PayloadTooLargeError } from '../types.js';

/** An answer the API gives on purpose: a status, a stable code and a message that names the bad field. */
export class HttpApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
    /** Send the message as text/plain: the stock client turns some bodies straight into `new Error(body)`. */
    readonly plainText = false,
  ) {
    super(message);
    this.name = 'HttpApiError';
  }
}

/**
 * Turns what an operation threw into the answer the client sees. Engine errors we know map to their status; anything
 * else is a 500 whose body carries only a stable code, never the error's text (it may hold storage details).
 */
export function toHttpApiError(error: unknown): HttpApiError {
  if (error instanceof HttpApiError) return error;
  if (error instanceof InstanceNotFoundError) {
    return new HttpApiError(404, error.code, `No instance with id '${error.instanceId}' found`);
  }
  if (error instanceof InstanceAlreadyExistsError) {
    return new HttpApiError(409, error.code, `An instance with id '${error.instanceId}' already exists and is not in a terminal state`);
  }
  if (error instanceof PayloadTooLargeError) {
    return new HttpApiError(413, error.code, `${error.field}: ${error.units} characters of JSON; at most ${error.limit} can be stored`);
  }
  if (statusOf(error) === 413) {
    // The storage refused a request body as too large: the caller's payload, not an outage.
    return new HttpApiError(413, 'PAYLOAD_TOO_LARGE', 'payload: too large for the task hub\'s storage');
  }
  const code = errorCode(error) ?? 'INTERNAL_ERROR';
  return new HttpApiError(500, code, 'Something went wrong while processing your request');
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const code = (error as { code: unknown }).code;
  return typeof code === 'string' && /^[A-Z][A-Z0-9_]{0,63}$/.test(code) ? code : undefined;
}

function statusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const status = (error as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' ? status : undefined;
}
