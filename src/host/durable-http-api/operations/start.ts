import { HttpApiError } from '../errors.js';
import { readJsonBody, sendJson } from '../http-io.js';
import { checkName, validateNewInstanceId } from '../names.js';
import { lenientSecondsParam } from '../query-params.js';
import { requireOrchestration, type RequestContext } from '../request-context.js';
import { isTerminal } from '../../../durable/index.js';
import { instanceLinks } from '../urls.js';
import { getStatus } from './get-status.js';


/** Create-and-wait waits at most this long (the extension's own wait is bounded by the HTTP request timeout). */
export const MAX_WAIT_MS = 60_000;
/** And polls storage at most this often, whatever pollingInterval says. */
export const MIN_POLLING_MS = 100;

/** Answers 202 with the instance's management links, the Location of its status and Retry-After (async 202 pattern). */
export function sendCheckStatus(ctx: RequestContext, instanceId: string): void {
  const links = instanceLinks(ctx.origin, instanceId, ctx.settings);
  sendJson(ctx.res, 202, links, { Location: links.statusQueryGetUri, 'Retry-After': '10' });
}

/** The wait's bounds: timeout at most MAX_WAIT_MS; the interval at least MIN_POLLING_MS and at most the timeout. */
export function waitBounds(timeoutSeconds: number, intervalSeconds: number): { timeoutMs: number; intervalMs: number } {
  const timeoutMs = Math.min(timeoutSeconds * 1000, MAX_WAIT_MS);
  const intervalMs = Math.max(MIN_POLLING_MS, Math.min(intervalSeconds * 1000, timeoutMs));
  return { timeoutMs, intervalMs };
}

/**
 * POST /orchestrators/{functionName}/{instanceId?}: starts an instance with the JSON body as input (empty body: no
 * input). With `timeout` and `pollingInterval` (seconds) it waits for the end like the extension's create-and-wait.
 */
export async function startOrchestration(ctx: RequestContext, functionName: string, instanceId: string | undefined): Promise<void> {
  checkName(functionName, 'functionName', 'INVALID_FUNCTION_NAME');
  if (instanceId !== undefined) validateNewInstanceId(instanceId);
  const wait = waitParams(ctx);
  const input = await readJsonBody(ctx.req, 'input');
  requireOrchestration(ctx, functionName);
  const id = await ctx.engine.start(functionName, instanceId !== undefined ? { instanceId, input } : { input });
  await answerStarted(ctx, id, wait);
}

export interface WaitParams {
  timeout: number | undefined;
  pollingInterval: number | undefined;
}

/** `timeout` and `pollingInterval` (seconds) of a start or restart, checked before anything is started. */
export function waitParams(ctx: RequestContext): WaitParams {
  // As the extension reads them: a value that is no number of seconds is ignored (then there is no wait).
  const timeout = lenientSecondsParam(ctx.query, 'timeout');
  const pollingInterval = lenientSecondsParam(ctx.query, 'pollingInterval');
  if (timeout !== undefined && pollingInterval !== undefined && pollingInterval > timeout) {
    throw new HttpApiError(400, 'INVALID_QUERY_PARAMETER', 'pollingInterval: must not exceed timeout');
  }
  return { timeout, pollingInterval };
}

/** The 202 check-status answer of a started instance, or with both wait parameters the create-and-wait answer. */
export async function answerStarted(ctx: RequestContext, id: string, { timeout, pollingInterval }: WaitParams): Promise<void> {
  if (timeout === undefined || pollingInterval === undefined) {
    sendCheckStatus(ctx, id);
    return;
  }
  const { timeoutMs, intervalMs } = waitBounds(timeout, pollingInterval);
  await waitThenAnswer(ctx, id, timeoutMs, intervalMs);
}

/** Aborts when the caller goes away before the answer is sent: nobody would read it, so storage is left alone. */
function callerGone(ctx: RequestContext): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onClose = (): void => {
    if (!ctx.res.writableFinished) controller.abort(new Error('the client closed the connection'));
  };
  ctx.res.once('close', onClose);
  return { signal: controller.signal, dispose: () => ctx.res.off('close', onClose) };
}

async function waitThenAnswer(ctx: RequestContext, instanceId: string, timeoutMs: number, intervalMs: number): Promise<void> {
  const deadline = ctx.clock.now() + timeoutMs;
  const gone = callerGone(ctx);
  try {
    for (;;) {
      const status = await ctx.engine.getStatus(instanceId, { showInput: true });
      if (gone.signal.aborted) return;
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
      try {
        await ctx.clock.sleep(Math.min(intervalMs, remaining), gone.signal);
      } catch {
        return; // The caller left.
      }
    }
    sendCheckStatus(ctx, instanceId);
  } finally {
    gone.dispose();
  }
}
