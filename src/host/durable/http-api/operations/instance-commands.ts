import { HttpApiError } from '../errors.js';
import { sendEmpty } from '../http-io.js';
import { param } from '../query-params.js';
import { checkName } from '../names.js';
import type { RequestContext } from '../request-context.js';
import { isTerminal } from '../status-json.js';
import type { InstanceOperation } from '../routes.js';

/**
 * POST /instances/{id}/{terminate|suspend|resume}?reason=: 202 accepted, 404 unknown, 410 already ended.
 * Rewind and restart are answered 501: the engine does not implement them.
 */
export async function instanceCommand(ctx: RequestContext, instanceId: string, operation: InstanceOperation): Promise<void> {
  if (operation === 'rewind' || operation === 'restart') {
    // Plain text: the stock client's rewind() rejects with `new Error(body)`.
    const message = `The ${operation} operation is not supported by this host's durable engine`;
    throw new HttpApiError(501, 'NOT_IMPLEMENTED', message, {}, true);
  }
  const status = await ctx.engine.getStatus(instanceId, { showInput: false });
  if (status === undefined) throw new HttpApiError(404, 'INSTANCE_NOT_FOUND', `No instance with id '${instanceId}' found`);
  if (isTerminal(status.runtimeStatus)) {
    throw new HttpApiError(410, 'INSTANCE_ENDED', `Instance '${instanceId}' is already ${status.runtimeStatus}`);
  }
  const reason = checkName(param(ctx.query, 'reason') ?? '', 'reason', 'INVALID_QUERY_PARAMETER', { allowEmpty: true, multiline: true });
  switch (operation) {
    case 'terminate':
      await ctx.engine.terminate(instanceId, reason);
      break;
    case 'suspend':
      await ctx.engine.suspend(instanceId, reason);
      break;
    case 'resume':
      await ctx.engine.resume(instanceId, reason);
      break;
  }
  sendEmpty(ctx.res, 202);
}
