/** Which key opens which endpoint, as in Azure Functions (see host-keys.ts). */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isKeyless, type HostKeys } from './host-keys.js';

export type AccessLevel = 'anonymous' | 'function' | 'admin';

function same(given: string, key: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(key);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The key a caller presents: the `x-functions-key` header, else the `code` query parameter. */
export function presentedKey(req: IncomingMessage, url: URL): string | undefined {
  const header = req.headers['x-functions-key'];
  return (Array.isArray(header) ? header[0] : header) ?? url.searchParams.get('code') ?? undefined;
}

/**
 * anonymous: anyone; function: the master key, a host key or one of that function's keys; admin: the master key.
 * The system key opens none of these (only the Durable webhooks). Without keys (development) everything is open.
 */
export function opens(keys: HostKeys, level: AccessLevel, functionName: string, given: string | undefined): boolean {
  if (level === 'anonymous' || isKeyless(keys)) return true;
  if (given === undefined) return false;
  if (keys.master !== undefined && same(given, keys.master)) return true;
  if (level === 'admin') return false;
  const candidates = [...keys.host, ...(keys.functions.get(functionName.toLowerCase()) ?? [])];
  // Compare against all of them, so timing does not tell which kind of key was close.
  return candidates.map((key) => same(given, key)).includes(true);
}
