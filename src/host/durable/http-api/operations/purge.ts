import { HttpApiError } from '../errors.js';
import { sendJson } from '../http-io.js';
import { dateParam, runtimeStatusParam } from '../query-params.js';
import type { RequestContext } from '../request-context.js';

/** DELETE /instances/{id}: 200 {instancesDeleted} or 404 when there is nothing to purge. */
export async function purgeInstance(ctx: RequestContext, instanceId: string): Promise<void> {
  const deleted = await ctx.engine.purge(instanceId);
  if (deleted === 0) throw new HttpApiError(404, 'INSTANCE_NOT_FOUND', `No instance with id '${instanceId}' found`);
  sendJson(ctx.res, 200, { instancesDeleted: deleted });
}

/**
 * DELETE /instances?createdTimeFrom=&createdTimeTo=&runtimeStatus=: createdTimeFrom is required, createdTimeTo
 * defaults to now; 404 when nothing matched (the stock client reads that as zero deleted), as the extension does.
 */
export async function purgeInstances(ctx: RequestContext): Promise<void> {
  const createdTimeFrom = dateParam(ctx.query, 'createdTimeFrom');
  if (createdTimeFrom === undefined) {
    throw new HttpApiError(400, 'MISSING_QUERY_PARAMETER', "createdTimeFrom: please provide a value for the 'createdTimeFrom' parameter");
  }
  const createdTimeTo = dateParam(ctx.query, 'createdTimeTo') ?? new Date(ctx.clock.now());
  const runtimeStatus = runtimeStatusParam(ctx.query, 'runtimeStatus');
  const deleted = await ctx.engine.purgeMany(runtimeStatus ? { createdTimeFrom, createdTimeTo, runtimeStatus } : { createdTimeFrom, createdTimeTo });
  if (deleted === 0) throw new HttpApiError(404, 'NOTHING_PURGED', 'No instances matched the purge filter');
  sendJson(ctx.res, 200, { instancesDeleted: deleted });
}
