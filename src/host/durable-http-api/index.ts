import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { SystemClock, type Clock, type DurableEngine } from '../../durable/index.js';
import type { DurableHttpApi, DurableHttpApiOptions } from './http-api-types.js';
import { hasSystemKey, rpcToken, sameSecret } from './auth.js';
import { buildClientBindingData, RPC_SEGMENT } from './binding-data.js';
import { HttpApiError, toHttpApiError } from './errors.js';
import { sendError } from './http-io.js';
import { hasBody } from '../http/read-body.js';
import { getStatus } from './operations/get-status.js';
import { instanceCommand } from './operations/instance-commands.js';
import { listInstances } from './operations/list-instances.js';
import { purgeInstance, purgeInstances } from './operations/purge.js';
import { raiseEvent } from './operations/raise-event.js';
import { startOrchestration } from './operations/start.js';
import { checkInstanceId, validateNewInstanceId } from './names.js';
import { param } from './query-params.js';
import { requestOrigin, requireMethod, type RequestContext } from './request-context.js';
import { parseRoute, type Route } from './routes.js';
import { WEBHOOK_PATH, type LinkSettings } from './urls.js';


/** The contract's options, plus what the host may add: a logger for unexpected failures and the host clock. */
export interface HttpApiOptions extends DurableHttpApiOptions {
  /** Other keys that open the webhooks (the host's master key); the links handed out carry the system key only. */
  alsoAcceptedKeys?: string[];
  logger?: Logger;
  /** Clock for create-and-wait polling; default the system clock. */
  clock?: Clock;
  /**
   * Whether the app has an orchestrator function of that name. When given, a start or restart of another name is a
   * 400 before anything is stored, as the extension refuses it; without it, such an instance fails when it runs.
   */
  hasOrchestration?: (name: string) => boolean;
  /**
   * Called, once the key is checked, for a request that carries a body on a route that takes one: 'busy' when the
   * host reads too many bodies at once (503). Without it bodies are read at once.
   */
  admitBody?: (req: IncomingMessage, res: ServerResponse) => 'admitted' | 'no-body' | 'busy';
}

/**
 * The Durable extension's HTTP surface over a DurableEngine, so the stock `durable-functions` DurableClient works
 * unchanged. Serves `/runtime/webhooks/durabletask/...` (webhook form, and the RPC form the client prefers).
 */
export function createDurableHttpApi(engine: DurableEngine, options: HttpApiOptions): DurableHttpApi {
  const baseOrigin = parseBaseOrigin(options.baseUrl);
  if (options.taskHubName.trim() === '') throw new Error('taskHubName: must not be empty');
  if (options.systemKey !== undefined && options.systemKey === '') throw new Error('systemKey: must not be empty when set');
  const settings: LinkSettings = {
    taskHubName: options.taskHubName,
    connectionName: options.connectionName || 'AzureWebJobsStorage',
    systemKey: options.systemKey,
  };
  const rpcSegment = options.systemKey !== undefined ? rpcToken(options.systemKey) : undefined;
  const clock = options.clock ?? new SystemClock();
  const bindingData = buildClientBindingData(baseOrigin, settings);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = parseRequestUrl(req.url);
    if (url === undefined) return false;
    const relative = relativeToWebhook(url.pathname);
    if (relative === undefined) return false;

    try {
      const path = authorize(req, url.searchParams, relative);
      checkHubAndConnection(url.searchParams, settings);
      const origin = requestOrigin(req, baseOrigin);
      const ctx: RequestContext = {
        req,
        res,
        query: url.searchParams,
        engine,
        settings,
        origin,
        requestUrl: `${origin}${url.pathname}${url.search}`,
        clock,
        hasOrchestration: options.hasOrchestration,
      };
      const route = parseRoute(path);
      admitBodyOf(req, res, route, options.admitBody);
      await dispatch(ctx, route);
    } catch (error) {
      const answer = toHttpApiError(error);
      if (answer.status >= 500 && answer.status !== 501) {
        // Never the URL: it may carry the system key.
        options.logger?.error({ err: error, code: answer.code }, 'durable http api: request failed');
      }
      if (!res.headersSent) sendError(res, answer);
      else res.destroy();
    }
    return true;
  }

  /** Returns the path to route (without the RPC token segment), or throws 401. */
  function authorize(req: IncomingMessage, query: URLSearchParams, relative: string): string {
    if (options.systemKey === undefined || rpcSegment === undefined) return relative;
    const segments = relative.split('/');
    // relative starts with '/', so segments[0] is ''.
    if (segments[1]?.toLowerCase() === RPC_SEGMENT && segments[2] !== undefined && sameSecret(segments[2], rpcSegment)) {
      return `/${segments.slice(3).join('/')}`;
    }
    if (hasSystemKey(req, query, options.systemKey)) return relative;
    if ((options.alsoAcceptedKeys ?? []).some((key) => hasSystemKey(req, query, key))) return relative;
    throw new HttpApiError(401, 'UNAUTHORIZED', 'A valid system key is required (code query parameter or x-functions-key header)');
  }

  return {
    handle,
    clientBindingData: () => structuredClone(bindingData),
  };
}

async function dispatch(ctx: RequestContext, route: Route): Promise<void> {
  if (route.kind === 'start' && route.instanceId !== undefined) validateNewInstanceId(route.instanceId);
  else if ('instanceId' in route && route.instanceId !== undefined) checkInstanceId(route.instanceId);
  switch (route.kind) {
    case 'start':
      requireMethod(ctx, 'POST');
      return startOrchestration(ctx, route.functionName, route.instanceId);
    case 'instances':
      return requireMethod(ctx, 'GET', 'DELETE') === 'GET' ? listInstances(ctx) : purgeInstances(ctx);
    case 'instance':
      return requireMethod(ctx, 'GET', 'DELETE') === 'GET' ? getStatus(ctx, route.instanceId) : purgeInstance(ctx, route.instanceId);
    case 'raiseEvent':
      requireMethod(ctx, 'POST');
      return raiseEvent(ctx, route.instanceId, route.eventName);
    case 'instanceOperation':
      requireMethod(ctx, 'POST');
      return instanceCommand(ctx, route.instanceId, route.operation);
    case 'entities':
      throw new HttpApiError(501, 'NOT_IMPLEMENTED', 'Durable entities are not supported by this host');
    case 'unknown':
      throw HttpApiError.bare(404, 'ROUTE_NOT_FOUND', 'No durable task endpoint at this path');
  }
}

/** Only a start and a raised event take a body: elsewhere one is 413 unread; past the host's bound on bodies, 503. */
function admitBodyOf(req: IncomingMessage, res: ServerResponse, route: Route, admit: HttpApiOptions['admitBody']): void {
  if (!hasBody(req) || route.kind === 'unknown' || route.kind === 'entities') return;
  if (route.kind !== 'start' && route.kind !== 'raiseEvent') {
    throw new HttpApiError(413, 'BODY_NOT_TAKEN', 'body: this endpoint takes no request body', { Connection: 'close' });
  }
  if (admit?.(req, res) === 'busy') {
    throw new HttpApiError(503, 'TOO_MANY_BODIES', 'too many request bodies are being read; retry later', { 'Retry-After': '1', Connection: 'close' });
  }
}

/** The extension answers for the hub and connection it was configured with; asking for another one is a mistake. */
function checkHubAndConnection(query: URLSearchParams, settings: LinkSettings): void {
  const taskHub = param(query, 'taskHub');
  if (taskHub !== undefined && taskHub.trim() !== '' && taskHub.toLowerCase() !== settings.taskHubName.toLowerCase()) {
    throw new HttpApiError(400, 'UNKNOWN_TASK_HUB', `taskHub: this host serves task hub '${settings.taskHubName}' only`);
  }
  const connection = param(query, 'connection');
  // The value is not echoed: a caller might have put a connection string there.
  if (connection !== undefined && connection.trim() !== '' && connection.toLowerCase() !== settings.connectionName.toLowerCase()) {
    throw new HttpApiError(400, 'UNKNOWN_CONNECTION', `connection: this host serves connection setting '${settings.connectionName}' only`);
  }
}

function parseBaseOrigin(baseUrl: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new Error('baseUrl: must be an absolute http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('baseUrl: must be an absolute http(s) URL');
  return url.origin;
}

function parseRequestUrl(raw: string | undefined): URL | undefined {
  try {
    return new URL(raw ?? '/', 'http://request.invalid');
  } catch {
    return undefined;
  }
}

/** The path after the webhook prefix ('' or starting with '/'), or undefined when the request is not ours. */
function relativeToWebhook(pathname: string): string | undefined {
  const lower = pathname.toLowerCase();
  if (lower === WEBHOOK_PATH) return '/';
  if (!lower.startsWith(`${WEBHOOK_PATH}/`)) return undefined;
  return pathname.slice(WEBHOOK_PATH.length);
}
