import { HttpApiError } from '../errors.js';
import { readJsonBody, sendEmpty } from '../http-io.js';
import { checkName } from '../names.js';
import type { RequestContext } from '../request-context.js';
import { isTerminal } from '../status-json.js';

/** POST /instances/{id}/raiseEvent/{eventName}: 202 delivered, 404 unknown instance, 410 instance already ended. */
export async function raiseEvent(ctx: RequestContext, instanceId: string, eventName: string): Promise<void> {
  checkName(eventName, 'eventName', 'INVALID_EVENT_NAME');
  const status = await ctx.engine.getStatus(instanceId, { showInput: false });
  if (status === undefined) throw new HttpApiError(404, 'INSTANCE_NOT_FOUND', `No instance with id '${instanceId}' found`);
  if (isTerminal(status.runtimeStatus)) {
    throw new HttpApiError(410, 'INSTANCE_ENDED', `Instance '${instanceId}' is ${status.runtimeStatus} and takes no more events`);
  }
  const data = await readJsonBody(ctx.req, 'eventData');
  await ctx.engine.raiseEvent(instanceId, eventName, data ?? null);
  sendEmpty(ctx.res, 202);
}
