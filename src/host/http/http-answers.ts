/** The host's own JSON answers at the HTTP edge (refusals, 404/405, 413, 503), each saying which part was bad. */
import type { ServerResponse } from 'node:http';
import { type BodyTooLargeError, hasBody } from './read-body.js';
import type { Refusal } from './request-guard.js';

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  // Answered before the body was read (refused, not found): close rather than read the rest of an upload.
  const unread = res.req !== undefined && !res.req.complete && hasBody(res.req) ? { connection: 'close' } : {};
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...unread, ...headers });
  res.end(text);
}

export function refuse(res: ServerResponse, refusal: Refusal, headers: Record<string, string> = {}): void {
  sendJson(res, refusal.status, { error: refusal.error, message: refusal.message }, headers);
}

/** 413 for a body where none is taken, without reading it. */
export function sendNoBodyTaken(res: ServerResponse, what: string): void {
  sendJson(res, 413, { error: 'PayloadTooLarge', message: `body: ${what} takes no request body` }, { connection: 'close' });
}

export function sendBusy(res: ServerResponse, limit: number): void {
  const message = `more than ${limit} request bodies are being read; retry later`;
  sendJson(res, 503, { error: 'ServiceUnavailable', message }, { 'retry-after': '1', connection: 'close' });
}

/** 413, and the connection is closed so that the rest of the upload is never read. */
export function sendTooLarge(res: ServerResponse, err: BodyTooLargeError): void {
  sendJson(res, 413, { error: 'PayloadTooLarge', message: `body: ${err.message}` }, { connection: 'close' });
}
