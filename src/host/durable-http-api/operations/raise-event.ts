import { HttpApiError, instanceNotFound } from '../errors.js';
import { readJsonBody, sendEmpty } from '../http-io.js';
import { checkName } from '../names.js';
import type { RequestContext } from '../request-context.js';
import { isTerminal } from '../../../durable/index.js';

/**
 * POST /instances/{id}/raiseEvent/{eventName}: 202 delivered, 404 unknown instance, 410 instance already ended,
 * 400 when the content type is not application/json or the body is not JSON (the extension's order of checks).
 */
export async function raiseEvent(ctx: RequestContext, instanceId: string, eventName: string): Promise<void> {
  checkName(eventName, 'eventName', 'INVALID_EVENT_NAME');
  const status = await ctx.engine.getStatus(instanceId, { showInput: false });
  if (status === undefined) throw instanceNotFound(instanceId);
  if (isTerminal(status.runtimeStatus)) {
    throw HttpApiError.bare(410, 'INSTANCE_ENDED', `Instance '${instanceId}' is ${status.runtimeStatus} and takes no more events`);
  }
  const data = await readJsonBody(ctx.req, 'eventData', { requireJsonType: true });
  await ctx.engine.raiseEvent(instanceId, eventName, data ?? null);
  sendEmpty(ctx.res, 202);
}
