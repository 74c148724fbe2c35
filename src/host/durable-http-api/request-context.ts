import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock, DurableEngine } from '../../durable/index.js';
import { HttpApiError } from './errors.js';
import type { LinkSettings } from './urls.js';

/** What every operation gets: the request, the engine, and what it needs to build links. */
export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  query: URLSearchParams;
  engine: DurableEngine;
  settings: LinkSettings;
  /** Origin the caller reached us at (links handed back point there, as the extension's do). */
  origin: string;
  /** The absolute URL of this request, for the Location of a 202 status answer. */
  requestUrl: string;
  clock: Clock;
  hasOrchestration: ((name: string) => boolean) | undefined;
}

/** A start (or restart) of an orchestrator the app does not have: the extension's 400. */
export function requireOrchestration(ctx: RequestContext, functionName: string): void {
  if (ctx.hasOrchestration === undefined || ctx.hasOrchestration(functionName)) return;
  throw HttpApiError.withExtensionMessage(
    400,
    'UNKNOWN_FUNCTION',
    `functionName: the app has no orchestrator function named '${functionName}'`,
    'One or more of the arguments submitted is incorrect',
  );
}

/** A method a route does not take is a bare 404, as the extension answers it (no route matched). */
export function requireMethod(ctx: RequestContext, ...allowed: string[]): string {
  const method = (ctx.req.method ?? 'GET').toUpperCase();
  if (!allowed.includes(method)) {
    throw HttpApiError.bare(404, 'ROUTE_NOT_FOUND', `method ${method} is not served here (served: ${allowed.join(', ')})`);
  }
  return method;
}

const HOST_PATTERN = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

/**
 * The origin the caller used, from the Host header (and X-Forwarded-Proto behind a TLS-terminating proxy);
 * the configured base URL when the header is missing or malformed.
 */
export function requestOrigin(req: IncomingMessage, fallbackOrigin: string): string {
  const host = req.headers.host;
  if (host === undefined || !HOST_PATTERN.test(host)) return fallbackOrigin;
  const forwarded = req.headers['x-forwarded-proto'];
  const proto = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(',')[0]?.trim().toLowerCase();
  return `${proto === 'https' ? 'https' : 'http'}://${host}`;
}
