import { HttpApiError, instanceNotFound } from '../errors.js';
import { sendEmpty } from '../http-io.js';
import { param } from '../query-params.js';
import { checkName } from '../names.js';
import type { RequestContext } from '../request-context.js';
import { isTerminal } from '../../../durable/index.js';
import type { InstanceOperation } from '../routes.js';
import { restartInstance } from './restart.js';

function reasonOf(ctx: RequestContext): string {
  return checkName(param(ctx.query, 'reason') ?? '', 'reason', 'INVALID_QUERY_PARAMETER', { allowEmpty: true, multiline: true });
}

/**
 * POST /instances/{id}/{terminate|suspend|resume|rewind|restart}?reason=, answered as the extension does:
 * terminate/suspend/resume 202 accepted, 404 unknown, 410 already ended; rewind 202 for a Failed instance, 404
 * unknown, 410 Completed/Terminated/Canceled, 412 live (see the README's table); restart in restart.ts.
 */
export async function instanceCommand(ctx: RequestContext, instanceId: string, operation: InstanceOperation): Promise<void> {
  if (operation === 'restart') return restartInstance(ctx, instanceId);
  const status = await ctx.engine.getStatus(instanceId, { showInput: false });
  if (status === undefined) throw instanceNotFound(instanceId);
  const ended = operation === 'rewind' ? isTerminal(status.runtimeStatus) && status.runtimeStatus !== 'Failed' : isTerminal(status.runtimeStatus);
  if (ended) throw HttpApiError.bare(410, 'INSTANCE_ENDED', `Instance '${instanceId}' is already ${status.runtimeStatus}`);
  const reason = reasonOf(ctx);
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
    case 'rewind':
      // A live instance: the engine refuses it (InstanceNotFailedError → 412).
      await ctx.engine.rewind(instanceId, reason);
      break;
  }
  sendEmpty(ctx.res, 202);
}
