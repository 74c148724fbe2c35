import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpApiError } from './errors.js';

/** Generous, but bounded: the extension takes any size; we refuse bodies that could exhaust memory. */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buffer.length;
    if (size > MAX_BODY_BYTES) {
      throw new HttpApiError(413, 'BODY_TOO_LARGE', `Request body exceeds ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Reads a JSON body. An empty body is `undefined` (the stock client posts nothing when there is no input); a missing
 * content-type is accepted, a non-JSON one is refused.
 */
export async function readJsonBody(req: IncomingMessage, field: string): Promise<unknown> {
  const contentType = req.headers['content-type'];
  if (contentType !== undefined && !isJsonMediaType(contentType)) {
    throw new HttpApiError(415, 'UNSUPPORTED_MEDIA_TYPE', `${field}: only application/json request content is supported`);
  }
  const text = await readBody(req);
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    const detail = error instanceof Error ? error.message : 'unparseable';
    throw new HttpApiError(400, 'INVALID_JSON', `${field}: invalid JSON content (${detail})`);
  }
}

function isJsonMediaType(contentType: string): boolean {
  const mediaType = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  return mediaType === '' || mediaType === 'application/json' || mediaType.endsWith('+json');
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
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
  if (!error.plainText) {
    sendJson(res, error.status, { code: error.code, message: error.message }, error.headers);
    return;
  }
  res.writeHead(error.status, {
    ...error.headers,
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(error.message)),
  });
  res.end(error.message);
}
