import { HttpApiError } from '../errors.js';
import { readJsonBody, sendJson } from '../http-io.js';
import { param } from '../query-params.js';
import type { RequestContext } from '../request-context.js';
import { isTerminal } from '../status-json.js';
import { instanceLinks } from '../urls.js';
import { getStatus } from './get-status.js';

const MAX_INSTANCE_ID_LENGTH = 256;

/** Ids land in storage keys and in URLs: refuse what cannot round-trip through either. */
export function validateInstanceId(instanceId: string): void {
  if (instanceId.trim() === '') throw new HttpApiError(400, 'INVALID_INSTANCE_ID', 'instanceId: must not be empty');
  if (instanceId.length > MAX_INSTANCE_ID_LENGTH) {
    throw new HttpApiError(400, 'INVALID_INSTANCE_ID', `instanceId: longer than ${MAX_INSTANCE_ID_LENGTH} characters`);
  }
  if (/[/\\#?\u0000-\u001f\u007f]/.test(instanceId)) {
    throw new HttpApiError(400, 'INVALID_INSTANCE_ID', "instanceId: must not contain '/', '\\', '#', '?' or control characters");
  }
}

function secondsParam(ctx: RequestContext, name: string): number | undefined {
  const raw = param(ctx.query, name);
  if (raw === undefined || raw === '') return undefined;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds < 0) {
    throw new HttpApiError(400, 'INVALID_QUERY_PARAMETER', `${name}: must be a number of seconds`);
  }
  return seconds;
}

/** Answers 202 with the instance's management links, the Location of its status and Retry-After (async 202 pattern). */
export function sendCheckStatus(ctx: RequestContext, instanceId: string): void {
  const links = instanceLinks(ctx.origin, instanceId, ctx.settings);
  sendJson(ctx.res, 202, links, { Location: links.statusQueryGetUri, 'Retry-After': '10' });
}

/**
 * POST /orchestrators/{functionName}/{instanceId?}: starts an instance with the JSON body as input (empty body: no
 * input). With `timeout` and `pollingInterval` (seconds) it waits for the end like the extension's create-and-wait.
 */
export async function startOrchestration(ctx: RequestContext, functionName: string, instanceId: string | undefined): Promise<void> {
  if (functionName.trim() === '') throw new HttpApiError(400, 'INVALID_FUNCTION_NAME', 'functionName: must not be empty');
  if (instanceId !== undefined) validateInstanceId(instanceId);
  const timeout = secondsParam(ctx, 'timeout');
  const pollingInterval = secondsParam(ctx, 'pollingInterval');
  if (timeout !== undefined && pollingInterval !== undefined && pollingInterval > timeout) {
    throw new HttpApiError(400, 'INVALID_QUERY_PARAMETER', 'pollingInterval: must not exceed timeout');
  }
  const input = await readJsonBody(ctx.req, 'input');
  const id = await ctx.engine.start(functionName, instanceId !== undefined ? { instanceId, input } : { input });

  if (timeout === undefined || pollingInterval === undefined) {
    sendCheckStatus(ctx, id);
    return;
  }
  await waitThenAnswer(ctx, id, timeout * 1000, pollingInterval * 1000);
}

async function waitThenAnswer(ctx: RequestContext, instanceId: string, timeoutMs: number, intervalMs: number): Promise<void> {
  const deadline = ctx.clock.now() + timeoutMs;
  for (;;) {
    const status = await ctx.engine.getStatus(instanceId, { showInput: true });
    if (status !== undefined && status.runtimeStatus === 'Completed') {
      sendJson(ctx.res, 200, status.output ?? null);
      return;
    }
    if (status !== undefined && isTerminal(status.runtimeStatus)) {
      await getStatus({ ...ctx, requestUrl: instanceLinks(ctx.origin, instanceId, ctx.settings).statusQueryGetUri }, instanceId);
      return;
    }
    const remaining = deadline - ctx.clock.now();
    if (remaining <= 0) break;
    await ctx.clock.sleep(Math.min(intervalMs, remaining));
  }
  sendCheckStatus(ctx, instanceId);
}
