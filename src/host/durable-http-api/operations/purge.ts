import { HttpApiError, instanceNotFound } from '../errors.js';
import { isTerminal } from '../../../durable/index.js';
import { sendJson } from '../http-io.js';
import { dateParam, runtimeStatusParam } from '../query-params.js';
import type { RequestContext } from '../request-context.js';

/**
 * DELETE /instances/{id}: 200 {instancesDeleted}; 404 when there is no such instance; 412 while it has not ended
 * (the extension checks the runtime status first since its purge of running instances was refused).
 */
export async function purgeInstance(ctx: RequestContext, instanceId: string): Promise<void> {
  const status = await ctx.engine.getStatus(instanceId, { showInput: false });
  if (status === undefined) throw instanceNotFound(instanceId);
  if (!isTerminal(status.runtimeStatus)) {
    throw new HttpApiError(412, 'INSTANCE_NOT_ENDED', `instanceId: '${instanceId}' is ${status.runtimeStatus}; only ended instances can be purged`);
  }
  const deleted = await ctx.engine.purge(instanceId);
  // Started again or purged by someone else in between.
  if (deleted === 0) throw instanceNotFound(instanceId);
  sendJson(ctx.res, 200, { instancesDeleted: deleted });
}

/**
 * DELETE /instances?createdTimeFrom=&createdTimeTo=&runtimeStatus=: createdTimeFrom is required, createdTimeTo
 * defaults to now; 404 when nothing matched (the stock client reads that as zero deleted), as the extension does.
 */
export async function purgeInstances(ctx: RequestContext): Promise<void> {
  const createdTimeFrom = dateParam(ctx.query, 'createdTimeFrom');
  if (createdTimeFrom === undefined) {
    throw HttpApiError.withExtensionMessage(
      400,
      'MISSING_QUERY_PARAMETER',
      "createdTimeFrom: please provide a value for the 'createdTimeFrom' parameter",
      "Please provide value for 'createdTimeFrom' parameter.",
    );
  }
  const createdTimeTo = dateParam(ctx.query, 'createdTimeTo') ?? new Date(ctx.clock.now());
  const runtimeStatus = runtimeStatusParam(ctx.query, 'runtimeStatus');
  const deleted = await ctx.engine.purgeMany(runtimeStatus ? { createdTimeFrom, createdTimeTo, runtimeStatus } : { createdTimeFrom, createdTimeTo });
  if (deleted === 0) throw HttpApiError.bare(404, 'NOTHING_PURGED', 'No instances matched the purge filter');
  sendJson(ctx.res, 200, { instancesDeleted: deleted });
}
