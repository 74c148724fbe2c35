/**
 * One call of an HTTP-triggered function: its key checked, its body admitted through its gate (anonymous callers
 * and keyed callers each have their own) and read within its limit, the function run, its response written.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { AppInvoker } from '../worker/app-invoker.js';
import type { RpcHttpData } from '../worker/core-types.js';
import { admitBody } from './body-admission.js';
import type { BodyGate, EdgeLimits } from './edge-limits.js';
import { sendBusy, sendJson, sendTooLarge } from './http-answers.js';
import type { HostKeys } from './host-keys.js';
import type { HttpRoute } from './http-functions.js';
import { opens, presentedKey } from './key-check.js';
import { BodyTooLargeError, readBodyBytes } from './read-body.js';
import { flattenHeaders, writeRpcResponse } from './rpc-response.js';

/** What a function call needs of the server. */
export interface FunctionEdge {
  invoker: AppInvoker;
  logger: Logger;
  keys: HostKeys;
  limits: EdgeLimits;
  gates: { anonymous: BodyGate; keyed: BodyGate };
}

/** The request body within the route's limit; undefined once answered (too large, busy) or the caller is gone. */
async function readFunctionBody(edge: FunctionEdge, req: IncomingMessage, res: ServerResponse, anonymous: boolean): Promise<Buffer | undefined> {
  const { limits } = edge;
  if (admitBody(req, res, anonymous ? edge.gates.anonymous : edge.gates.keyed, limits.bodyStallMs) === 'busy') {
    return void sendBusy(res, limits.concurrentBodies);
  }
  try {
    return await readBodyBytes(req, anonymous ? limits.anonymousBodyBytes : limits.functionBodyBytes);
  } catch (err) {
    if (err instanceof BodyTooLargeError) return void sendTooLarge(res, err);
    if (req.destroyed || res.destroyed) return undefined; // The caller went away mid-upload: nobody to answer.
    throw err;
  }
}

export async function invokeHttpFunction(
  edge: FunctionEdge,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  route: HttpRoute,
  params: Record<string, string>,
): Promise<void> {
  if (!opens(edge.keys, route.authLevel, route.fn.name, presentedKey(req, url))) {
    const which = route.authLevel === 'admin' ? 'the master key' : 'a valid function key';
    return sendJson(res, 401, { error: 'Unauthorized', message: `${which} is required (x-functions-key header or code query parameter)` });
  }
  const body = await readFunctionBody(edge, req, res, route.authLevel === 'anonymous');
  if (body === undefined) return;
  const request: RpcHttpData = {
    method: (req.method ?? 'GET').toUpperCase(),
    url: url.href,
    headers: flattenHeaders(req),
    params,
    ...(body.length > 0 ? { body: { bytes: body }, rawBody: { bytes: body } } : {}),
  };
  let out: RpcHttpData | undefined;
  try {
    out = await edge.invoker.invokeHttp(route.fn, request);
  } catch (err) {
    edge.logger.error({ function: route.fn.name, err }, `function "${route.fn.name}" failed`);
    if (!res.headersSent) {
      res.writeHead(500, { 'content-length': 0 });
      res.end();
    }
    return;
  }
  writeRpcResponse(res, out);
}
