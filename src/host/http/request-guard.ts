/**
 * Checks made on every request before routing or authentication: a Host header that parses, and, in keyless
 * development mode, that the request comes from this machine and not from a web page (DNS rebinding, cross-site
 * requests, HTML forms). Without keys anything reachable could pause, terminate or start instances.
 */
import type { IncomingMessage } from 'node:http';
import { isIPv4 } from 'node:net';
import { hasBody } from './read-body.js';

export interface Refusal {
  status: number;
  error: string;
  message: string;
}

const HOST_HEADER = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9._-]{1,253}))(?::(\d{1,5}))?$/;
const STATE_CHANGING = new Set(['POST', 'PUT', 'DELETE', 'PATCH']);

export interface ParsedHost {
  hostname: string;
  port: number | undefined;
}

/** Parses `Host` (name or IPv4, or a bracketed IPv6, with an optional port); undefined when malformed or missing. */
export function parseHostHeader(value: string | undefined): ParsedHost | undefined {
  if (value === undefined) return undefined;
  const m = HOST_HEADER.exec(value);
  if (!m) return undefined;
  const port = m[3] === undefined ? undefined : Number(m[3]);
  if (port !== undefined && port > 65535) return undefined;
  return { hostname: (m[1] ?? m[2] ?? '').toLowerCase(), port };
}

/** localhost, 127.0.0.0/8 written as an IPv4 address, or ::1; never a name that merely starts with 127. */
export function isLoopbackName(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  if (name === 'localhost' || name === '::1' || name === '0:0:0:0:0:0:0:1') return true;
  return isIPv4(name) && name.startsWith('127.');
}

function isJsonMediaType(contentType: string): boolean {
  const mediaType = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  return mediaType === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(mediaType);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** 400 for a missing or malformed Host header (checked with or without keys). */
export function checkHost(req: IncomingMessage): Refusal | ParsedHost {
  const host = parseHostHeader(req.headers.host);
  if (host === undefined) return { status: 400, error: 'BadRequest', message: 'Host: missing or malformed header' };
  return host;
}

/** The keyless mode's checks; undefined when the request may proceed. */
export function checkLocalOnly(req: IncomingMessage, host: ParsedHost): Refusal | undefined {
  if (!isLoopbackName(host.hostname)) {
    return { status: 403, error: 'Forbidden', message: 'Host: without keys the host answers loopback names only (127.0.0.1, localhost, [::1])' };
  }
  const origin = header(req, 'origin');
  if (origin !== undefined && !isLoopbackOrigin(origin)) {
    return { status: 403, error: 'Forbidden', message: 'Origin: cross-site requests are refused without keys' };
  }
  if (header(req, 'sec-fetch-site')?.toLowerCase() === 'cross-site') {
    return { status: 403, error: 'Forbidden', message: 'Sec-Fetch-Site: cross-site requests are refused without keys' };
  }
  const method = (req.method ?? 'GET').toUpperCase();
  // Another port on this machine is another site (a dev server, any local page): it may not change anything.
  if (origin !== undefined && STATE_CHANGING.has(method) && !isOwnOrigin(origin, req.socket.localPort)) {
    return { status: 403, error: 'Forbidden', message: 'Origin: a state-changing request must come from the host\'s own origin (http://127.0.0.1 or http://localhost on its port)' };
  }
  const contentType = header(req, 'content-type');
  // A browser form or a no-cors fetch sends a form or text type, or a body with no type at all; JSON needs a CORS
  // preflight, which this host never grants.
  const jsonOrNothing = contentType === undefined ? !hasBody(req) : isJsonMediaType(contentType);
  if (STATE_CHANGING.has(method) && !jsonOrNothing) {
    return { status: 415, error: 'UnsupportedMediaType', message: 'Content-Type: state-changing requests take application/json (or no body)' };
  }
  return undefined;
}

/** The names the keyless host is reached by (see checkLocalOnly), on the port the request came in on. */
const OWN_NAMES = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** True when `origin` is exactly `http://127.0.0.1:<port>`, `http://localhost:<port>` or `http://[::1]:<port>` (port 80 may be left out). */
export function isOwnOrigin(origin: string, ownPort: number | undefined): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  // An Origin is scheme://host[:port] as browsers serialize it (lower case, no default port); plain HTTP here.
  if (url.origin !== origin || url.protocol !== 'http:') return false;
  return OWN_NAMES.has(url.hostname) && Number(url.port || '80') === ownPort;
}

function isLoopbackOrigin(origin: string): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  return (url.protocol === 'http:' || url.protocol === 'https:') && isLoopbackName(url.hostname);
}
