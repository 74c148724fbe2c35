import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { DurableHttpApi } from '../durable-http-api/http-api-types.js';
import type { RpcHttpCookie, RpcHttpData } from '../worker/core-types.js';
import type { AppInvoker } from '../worker/app-invoker.js';
import { admitBody, BODILESS_METHODS, type Admission } from './body-admission.js';
import { BodyGate, DEFAULT_EDGE_LIMITS, type EdgeLimits } from './edge-limits.js';
import { isKeyless, NO_KEYS, type HostKeys } from './host-keys.js';
import type { HttpRoute } from './http-functions.js';
import { opens, presentedKey } from './key-check.js';
import { BodyTooLargeError, hasBody, readBodyBytes } from './read-body.js';
import { checkHost, checkLocalOnly, type Refusal } from './request-guard.js';

const DURABLE_WEBHOOKS = '/runtime/webhooks/durabletask';

export interface HostHttpOptions {
  invoker: AppInvoker;
  routes: HttpRoute[];
  /** host.json `extensions.http.routePrefix` (default `api`; empty string for none). */
  routePrefix: string;
  /** The host's keys; none (NO_KEYS) is the keyless development mode: loopback callers only, no key demanded. */
  keys?: HostKeys;
  logger: Logger;
  /** Overrides of the edge's limits (tests use small ones). */
  limits?: Partial<EdgeLimits>;
}

export interface HostHttpServer {
  readonly server: Server;
  /** Requests under /runtime/webhooks/durabletask go here once set. */
  durableApi: DurableHttpApi | undefined;
  /** Until set, every request is answered 503 (the host is still starting). */
  ready: boolean;
  /**
   * Admits the body of a Durable webhook request once the webhooks' key check passed: their own gate, so the app's
   * DurableClient calls never wait behind anonymous callers or the management API's callers.
   */
  admitDurableBody(req: IncomingMessage, res: ServerResponse): Admission;
  /** Stops accepting connections, waits for in-flight requests (up to `graceMs`), then drops the rest. */
  close(graceMs?: number): Promise<void>;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  // Answered before the body was read (refused, not found): close rather than read the rest of an upload.
  const unread = res.req !== undefined && !res.req.complete && hasBody(res.req) ? { connection: 'close' } : {};
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...unread, ...headers });
  res.end(text);
}

function refuse(res: ServerResponse, refusal: Refusal, headers: Record<string, string> = {}): void {
  sendJson(res, refusal.status, { error: refusal.error, message: refusal.message }, headers);
}

/** 413 for a body where none is taken, without reading it. */
function sendNoBodyTaken(res: ServerResponse, what: string): void {
  sendJson(res, 413, { error: 'PayloadTooLarge', message: `body: ${what} takes no request body` }, { connection: 'close' });
}

function sendBusy(res: ServerResponse, limit: number): void {
  const message = `more than ${limit} request bodies are being read; retry later`;
  sendJson(res, 503, { error: 'ServiceUnavailable', message }, { 'retry-after': '1', connection: 'close' });
}

/** 413, and the connection is closed so that the rest of the upload is never read. */
function sendTooLarge(res: ServerResponse, err: BodyTooLargeError): void {
  sendJson(res, 413, { error: 'PayloadTooLarge', message: `body: ${err.message}` }, { connection: 'close' });
}

function flattenHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

function cookieHeader(cookie: RpcHttpCookie): string {
  let text = `${cookie.name ?? ''}=${cookie.value ?? ''}`;
  if (cookie.domain?.value) text += `; Domain=${cookie.domain.value}`;
  if (cookie.path?.value) text += `; Path=${cookie.path.value}`;
  const expires = cookie.expires?.value;
  if (expires?.seconds !== undefined && expires?.seconds !== null) {
    text += `; Expires=${new Date(Number(expires.seconds) * 1000 + Math.floor((expires.nanos ?? 0) / 1e6)).toUTCString()}`;
  }
  if (cookie.maxAge?.value !== undefined && cookie.maxAge?.value !== null) text += `; Max-Age=${cookie.maxAge.value}`;
  if (cookie.secure?.value) text += '; Secure';
  if (cookie.httpOnly?.value) text += '; HttpOnly';
  const sameSite = { lax: 'Lax', strict: 'Strict', explicitNone: 'None', none: undefined }[cookie.sameSite ?? 'none'];
  if (sameSite) text += `; SameSite=${sameSite}`;
  return text;
}

function writeRpcResponse(res: ServerResponse, out: RpcHttpData | undefined): void {
  if (!out) {
    res.writeHead(204);
    res.end();
    return;
  }
  const status = Number.parseInt(out.statusCode ?? '200', 10) || 200;
  for (const [name, value] of Object.entries(out.headers ?? {})) res.setHeader(name, value);
  const cookies = (out.cookies ?? []).map(cookieHeader);
  if (cookies.length) res.setHeader('set-cookie', cookies);
  const body = out.body;
  let bytes: Buffer;
  if (body?.bytes) bytes = Buffer.from(body.bytes);
  else if (body?.string !== undefined && body?.string !== null) bytes = Buffer.from(body.string);
  else if (body?.json !== undefined && body?.json !== null) bytes = Buffer.from(body.json);
  else bytes = Buffer.alloc(0);
  res.setHeader('content-length', bytes.length);
  res.writeHead(status);
  res.end(bytes);
}

/**
 * The host's single HTTP server: HTTP-triggered functions under the route prefix, the Durable extension's
 * webhooks, and `/admin/host/status`.
 */
export function createHostHttpServer(options: HostHttpOptions): HostHttpServer {
  const { invoker, routes, logger } = options;
  const keys = options.keys ?? NO_KEYS;
  const keyless = isKeyless(keys);
  const limits: EdgeLimits = { ...DEFAULT_EDGE_LIMITS, ...options.limits };
  const gates = {
    anonymous: new BodyGate(limits.concurrentBodies),
    keyed: new BodyGate(limits.concurrentBodies),
    durable: new BodyGate(limits.concurrentBodies),
  };
  const prefix = options.routePrefix.replace(/^\/+|\/+$/g, '');
  const inFlight = new Set<Promise<void>>();

  /**
   * The checks before routing: a sound Host (and, without keys, a local caller), a parsable target, a started
   * host, and no body on a GET or HEAD. Body slots are taken later, once the route and its key are checked.
   * Returns the request URL, or undefined once it has answered.
   */
  const admit = (req: IncomingMessage, res: ServerResponse): URL | undefined => {
    const host = checkHost(req);
    if ('status' in host) return void refuse(res, host, { connection: 'close' });
    const local = keyless ? checkLocalOnly(req, host) : undefined;
    if (local) return void refuse(res, local, { connection: 'close' });
    let url: URL;
    try {
      url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    } catch {
      return void refuse(res, { status: 400, error: 'BadRequest', message: 'path: malformed request target' }, { connection: 'close' });
    }
    if (!server.ready) {
      return void sendJson(res, 503, { error: 'ServiceUnavailable', message: 'the host is starting' }, { 'retry-after': '1' });
    }
    const method = (req.method ?? 'GET').toUpperCase();
    if (BODILESS_METHODS.has(method) && hasBody(req)) return void sendNoBodyTaken(res, `a ${method} request`);
    return url;
  };

  /** The app's HTTP function for a path and method, or the 404/405 answer. */
  const findRoute = (path: string, method: string): { route: HttpRoute; params: Record<string, string> } | { status: number; allow?: string } => {
    let rest: string | undefined;
    if (prefix === '') rest = path.slice(1);
    else if (path.toLowerCase() === `/${prefix.toLowerCase()}`) rest = '';
    else if (path.toLowerCase().startsWith(`/${prefix.toLowerCase()}/`)) rest = path.slice(prefix.length + 2);
    if (rest === undefined) return { status: 404 };
    const pathMatched: HttpRoute[] = [];
    for (const route of routes) {
      const params = route.route.match(rest);
      if (!params) continue;
      pathMatched.push(route);
      if (!route.methods || route.methods.includes(method)) return { route, params };
    }
    if (pathMatched.length === 0) return { status: 404 };
    return { status: 405, allow: [...new Set(pathMatched.flatMap((r) => r.methods ?? []))].join(', ') };
  };

  const invokeFunction = async (req: IncomingMessage, res: ServerResponse, url: URL, route: HttpRoute, params: Record<string, string>): Promise<void> => {
    if (!opens(keys, route.authLevel, route.fn.name, presentedKey(req, url))) {
      const which = route.authLevel === 'admin' ? 'the master key' : 'a valid function key';
      return sendJson(res, 401, { error: 'Unauthorized', message: `${which} is required (x-functions-key header or code query parameter)` });
    }
    const anonymous = route.authLevel === 'anonymous';
    if (admitBody(req, res, anonymous ? gates.anonymous : gates.keyed, limits.bodyStallMs) === 'busy') {
      return sendBusy(res, limits.concurrentBodies);
    }
    const maxBody = anonymous ? limits.anonymousBodyBytes : limits.functionBodyBytes;
    let body: Buffer;
    try {
      body = await readBodyBytes(req, maxBody);
    } catch (err) {
      if (err instanceof BodyTooLargeError) return sendTooLarge(res, err);
      if (req.destroyed || res.destroyed) return; // The caller went away mid-upload: nobody to answer.
      throw err;
    }
    const request: RpcHttpData = {
      method: (req.method ?? 'GET').toUpperCase(),
      url: url.href,
      headers: flattenHeaders(req),
      params,
      ...(body.length > 0 ? { body: { bytes: body }, rawBody: { bytes: body } } : {}),
    };
    let out: RpcHttpData | undefined;
    try {
      out = await invoker.invokeHttp(route.fn, request);
    } catch (err) {
      logger.error({ function: route.fn.name, err }, `function "${route.fn.name}" failed`);
      if (!res.headersSent) {
        res.writeHead(500, { 'content-length': 0 });
        res.end();
      }
      return;
    }
    writeRpcResponse(res, out);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = admit(req, res);
    if (url === undefined) return;
    const method = (req.method ?? 'GET').toUpperCase();
    const path = url.pathname;
    if (path === DURABLE_WEBHOOKS || path.startsWith(`${DURABLE_WEBHOOKS}/`)) {
      const api = server.durableApi;
      if (api && (await api.handle(req, res))) return;
      return sendJson(res, 404, { error: 'NotFound', message: `no durable endpoint at ${path}` });
    }
    if (path === '/admin/host/status') {
      if (!opens(keys, 'admin', '', presentedKey(req, url))) return sendJson(res, 401, { error: 'Unauthorized' });
      if (hasBody(req)) return sendNoBodyTaken(res, path);
      return sendJson(res, 200, { state: 'Running', functions: routes.length });
    }
    const found = findRoute(path, method);
    if ('route' in found) return invokeFunction(req, res, url, found.route, found.params);
    if (found.status === 405) {
      return sendJson(res, 405, { error: 'MethodNotAllowed', message: `${method} is not allowed on ${path}` }, { allow: found.allow ?? '' });
    }
    return sendJson(res, 404, { error: 'NotFound', message: `no function at ${path}` });
  };

  const serverOptions = {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // Node checks the two timeouts above only this often (default 30 s).
    connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs),
  };
  const server: HostHttpServer = {
    server: createServer(serverOptions, (req, res) => {
      const done = handle(req, res)
        .catch((err: unknown) => {
          // The path only: the query may hold a key (code=).
          logger.error({ err, path: req.url?.split('?')[0] }, 'http request failed');
          if (!res.headersSent) sendJson(res, 500, { error: 'InternalServerError' });
          else res.destroy();
        })
        .finally(() => inFlight.delete(done));
      inFlight.add(done);
    }),
    durableApi: undefined,
    ready: false,
    admitDurableBody: (req, res) => admitBody(req, res, gates.durable, limits.bodyStallMs),
    async close(graceMs = 5_000): Promise<void> {
      const closed = new Promise<void>((resolve) => server.server.close(() => resolve()));
      server.server.closeIdleConnections();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...inFlight]),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs))),
      ]);
      if (timer) clearTimeout(timer);
      server.server.closeAllConnections();
      await closed;
    },
  };
  return server;
}
