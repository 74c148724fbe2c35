import type { IncomingMessage, ServerResponse } from 'node:http';
import { MAX_PAYLOAD_UNITS } from '../../durable/index.js';
import { BodyTooLargeError, hasBody, readBodyText } from '../http/read-body.js';
import { HttpApiError } from './errors.js';

/**
 * Start inputs and event data are stored as JSON text; the task hub holds at most MAX_PAYLOAD_UNITS UTF-16 units of
 * one (storage-limits.ts). The body is counted as sent and reading stops as soon as it is over: 413, nothing stored.
 */
export const MAX_BODY_UNITS = MAX_PAYLOAD_UNITS;

export async function readBody(req: IncomingMessage, field: string): Promise<string> {
  try {
    return await readBodyText(req, MAX_BODY_UNITS);
  } catch (error) {
    if (error instanceof BodyTooLargeError) {
      // Connection: close, so the rest of the upload is not read.
      throw new HttpApiError(413, 'PAYLOAD_TOO_LARGE', `${field}: larger than the limit of ${MAX_BODY_UNITS} characters of JSON`, { Connection: 'close' });
    }
    if (req.destroyed) throw new HttpApiError(400, 'REQUEST_ABORTED', `${field}: the client closed the connection while sending it`);
    throw error;
  }
}

/**
 * Reads a JSON body. An empty body is `undefined` (the stock client posts nothing when there is no input). As the
 * extension: a start reads the body as JSON whatever its content type; raiseEvent demands `application/json`
 * (parameters such as charset allowed), anything else or no content type at all is a 400.
 */
export async function readJsonBody(req: IncomingMessage, field: string, options: { requireJsonType?: boolean } = {}): Promise<unknown> {
  if (options.requireJsonType && !isJsonMediaType(req.headers['content-type'])) {
    throw HttpApiError.withExtensionMessage(
      400,
      'UNSUPPORTED_MEDIA_TYPE',
      `${field}: only application/json request content is supported`,
      'Only application/json request content is supported',
    );
  }
  const text = await readBody(req, field);
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const detail = error instanceof Error ? error.message : 'unparseable';
    throw HttpApiError.withExtensionMessage(400, 'INVALID_JSON', `${field}: invalid JSON content (${detail})`, 'Invalid JSON content');
  }
}

/** The extension compares the media type with application/json, case-insensitively. */
export function isJsonMediaType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  return (contentType.split(';')[0] ?? '').trim().toLowerCase() === 'application/json';
}

/** Answered before the body was read (refused, unknown instance): close rather than read the rest of an upload. */
function closeIfUnread(res: ServerResponse): Record<string, string> {
  return res.req !== undefined && !res.req.complete && hasBody(res.req) ? { Connection: 'close' } : {};
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...closeIfUnread(res),
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}

export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...headers, 'Content-Length': '0' });
  res.end();
}

export function sendError(res: ServerResponse, error: HttpApiError): void {
  if (error.bare) {
    sendEmpty(res, error.status, { ...closeIfUnread(res), ...error.headers });
    return;
  }
  if (!error.plainText) {
    sendJson(res, error.status, { Message: error.extensionMessage ?? error.message, code: error.code, message: error.message }, error.headers);
    return;
  }
  res.writeHead(error.status, {
    ...closeIfUnread(res),
    ...error.headers,
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(error.message)),
  });
  res.end(error.message);
}
