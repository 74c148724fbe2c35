import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { param } from './query-params.js';

/** Constant-time comparison, so response timing does not reveal how much of a key was right. */
export function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The system key, as `code` in the query or the `x-functions-key` header (either one suffices). */
export function hasSystemKey(req: IncomingMessage, query: URLSearchParams, systemKey: string): boolean {
  const code = param(query, 'code');
  if (code !== undefined && sameSecret(code, systemKey)) return true;
  const header = req.headers['x-functions-key'];
  const values = Array.isArray(header) ? header : header !== undefined ? [header] : [];
  return values.some((value) => sameSecret(value, systemKey));
}

/**
 * The stock client calls the RPC form (`rpcBaseUrl` + relative path) and cannot add a key to it. The real extension
 * serves that form on a loopback-only listener; we serve it on the host's port, so when a key is set the RPC base
 * carries a path segment derived from the key (one-way, so the segment does not reveal the key).
 */
export function rpcToken(systemKey: string): string {
  return createHmac('sha256', systemKey).update('durable-http-api/rpc').digest('base64url');
}
