import { InstanceAlreadyExistsError, InstanceNotFailedError, InstanceNotFoundError, PayloadTooLargeError, RewindNotSupportedError } from '../../durable/index.js';

/**
 * An answer the API gives on purpose: a status, a stable code and a message that names the bad field. The body is
 * the extension's error body (`Message`, its HttpError key) plus our `code` and `message`; or no body at all where
 * the extension answers with a bare status (`bare`).
 */
export class HttpApiError extends Error {
  /** The extension's own text for this answer, when it has one (else the message). */
  extensionMessage: string | undefined;
  /** No body, as the extension's `CreateResponse(status)` answers (unknown instance, ended instance, wrong route). */
  bare = false;

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

  /** The extension answers this one with its status and an empty body. */
  static bare(status: number, code: string, message: string): HttpApiError {
    const error = new HttpApiError(status, code, message);
    error.bare = true;
    return error;
  }

  /** The extension answers this one with an HttpError whose Message is `extensionMessage`. */
  static withExtensionMessage(status: number, code: string, message: string, extensionMessage: string): HttpApiError {
    const error = new HttpApiError(status, code, message);
    error.extensionMessage = extensionMessage;
    return error;
  }
}

export function instanceNotFound(instanceId: string): HttpApiError {
  return HttpApiError.bare(404, 'INSTANCE_NOT_FOUND', `No instance with id '${instanceId}' found`);
}

/**
 * Turns what an operation threw into the answer the client sees. Engine errors we know map to their status; anything
 * else is a 500 whose body carries only a stable code, never the error's text (it may hold storage details).
 */
export function toHttpApiError(error: unknown): HttpApiError {
  if (error instanceof HttpApiError) return error;
  if (error instanceof InstanceNotFoundError) return instanceNotFound(error.instanceId);
  if (error instanceof InstanceNotFailedError) {
    // The durable-functions client reads a 412 on rewind as "only failed instances" (see the README's table).
    return HttpApiError.bare(412, error.code, `Instance '${error.instanceId}' is ${error.runtimeStatus}: only failed instances can be rewound`);
  }
  if (error instanceof InstanceAlreadyExistsError) {
    return new HttpApiError(409, error.code, `An instance with id '${error.instanceId}' already exists and is not in a terminal state`);
  }
  if (error instanceof RewindNotSupportedError) return new HttpApiError(501, error.code, `instanceId: ${error.message}`);
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
  const code = (error).code;
  return typeof code === 'string' && /^[A-Z][A-Z0-9_]{0,63}$/.test(code) ? code : undefined;
}

function statusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const status = (error as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' ? status : undefined;
}
