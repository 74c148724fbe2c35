import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { DurableHttpApi } from '../durable-http-api/http-api-types.js';
import type { AppInvoker } from '../worker/app-invoker.js';
import { admitBody, BODILESS_METHODS, type Admission } from './body-admission.js';
import { BodyGate, DEFAULT_EDGE_LIMITS, type EdgeLimits } from './edge-limits.js';
import { invokeHttpFunction, type FunctionEdge } from './function-request.js';
import { refuse, sendJson, sendNoBodyTaken } from './http-answers.js';
import { isKeyless, NO_KEYS, type HostKeys } from './host-keys.js';
import { findRoute, type HttpRoute } from './http-functions.js';
import { opens, presentedKey } from './key-check.js';
import { hasBody } from './read-body.js';
import { checkHost, checkLocalOnly } from './request-guard.js';

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

/** What the request handling needs of the server: its edge, and the state `startHost` sets once the host runs. */
interface ServerEdge extends FunctionEdge {
  keyless: boolean;
  routes: HttpRoute[];
  prefix: string;
  state: Pick<HostHttpServer, 'ready' | 'durableApi'>;
}

/**
 * The checks before routing: a sound Host (and, without keys, a local caller), a parsable target, a started
 * host, and no body on a GET or HEAD. Body slots are taken later, once the route and its key are checked.
 * Returns the request URL, or undefined once it has answered.
 */
function admit(edge: ServerEdge, req: IncomingMessage, res: ServerResponse): URL | undefined {
  const host = checkHost(req);
  if ('status' in host) return void refuse(res, host, { connection: 'close' });
  const local = edge.keyless ? checkLocalOnly(req, host) : undefined;
  if (local) return void refuse(res, local, { connection: 'close' });
  let url: URL;
  try {
    url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
  } catch {
    return void refuse(res, { status: 400, error: 'BadRequest', message: 'path: malformed request target' }, { connection: 'close' });
  }
  if (!edge.state.ready) {
    return void sendJson(res, 503, { error: 'ServiceUnavailable', message: 'the host is starting' }, { 'retry-after': '1' });
  }
  const method = (req.method ?? 'GET').toUpperCase();
  if (BODILESS_METHODS.has(method) && hasBody(req)) return void sendNoBodyTaken(res, `a ${method} request`);
  return url;
}

/** One request: the Durable webhooks, the host status, or the app's HTTP function for the path and method. */
async function handleRequest(edge: ServerEdge, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = admit(edge, req, res);
  if (url === undefined) return;
  const method = (req.method ?? 'GET').toUpperCase();
  const path = url.pathname;
  if (path === DURABLE_WEBHOOKS || path.startsWith(`${DURABLE_WEBHOOKS}/`)) {
    const api = edge.state.durableApi;
    if (api && (await api.handle(req, res))) return;
    return sendJson(res, 404, { error: 'NotFound', message: `no durable endpoint at ${path}` });
  }
  if (path === '/admin/host/status') {
    if (!opens(edge.keys, 'admin', '', presentedKey(req, url))) return sendJson(res, 401, { error: 'Unauthorized' });
    if (hasBody(req)) return sendNoBodyTaken(res, path);
    return sendJson(res, 200, { state: 'Running', functions: edge.routes.length });
  }
  const found = findRoute(edge.routes, edge.prefix, path, method);
  if ('route' in found) return invokeHttpFunction(edge, req, res, url, found.route, found.params);
  if (found.status === 405) {
    return sendJson(res, 405, { error: 'MethodNotAllowed', message: `${method} is not allowed on ${path}` }, { allow: found.allow ?? '' });
  }
  return sendJson(res, 404, { error: 'NotFound', message: `no function at ${path}` });
}

/** Stops accepting connections, waits for the requests in flight (up to `graceMs`), then drops the rest. */
async function closeServer(server: Server, inFlight: Set<Promise<void>>, graceMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.allSettled([...inFlight]), new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
  if (timer) clearTimeout(timer);
  server.closeAllConnections();
  await closed;
}

/**
 * The host's single HTTP server: HTTP-triggered functions under the route prefix, the Durable extension's
 * webhooks, and `/admin/host/status`.
 */
export function createHostHttpServer(options: HostHttpOptions): HostHttpServer {
  const { logger } = options;
  const keys = options.keys ?? NO_KEYS;
  const limits: EdgeLimits = { ...DEFAULT_EDGE_LIMITS, ...options.limits };
  const gates = {
    anonymous: new BodyGate(limits.concurrentBodies),
    keyed: new BodyGate(limits.concurrentBodies),
    durable: new BodyGate(limits.concurrentBodies),
  };
  const inFlight = new Set<Promise<void>>();
  const serverOptions = {
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    // Node checks the two timeouts above only this often (default 30 s).
    connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs),
  };
  const server: HostHttpServer = {
    server: createServer(serverOptions, (req, res) => {
      const done = handleRequest(edge, req, res)
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
    close: (graceMs = 5_000) => closeServer(server.server, inFlight, graceMs),
  };
  const prefix = options.routePrefix.replace(/^\/+|\/+$/g, '');
  const edge: ServerEdge = { invoker: options.invoker, logger, keys, limits, gates, keyless: isKeyless(keys), routes: options.routes, prefix, state: server };
  return server;
}
