import type { InstanceQuery } from '../../../durable/index.js';
import { sendJson } from '../http-io.js';
import {
  lenientBooleanParam as booleanParam,
  lenientDateParam as dateParam,
  lenientPositiveIntParam as positiveIntParam,
  lenientRuntimeStatusParam as runtimeStatusParam,
  param,
} from '../query-params.js';
import type { RequestContext } from '../request-context.js';
import { checkContinuationToken } from '../continuation-token.js';
import { checkInstanceIdPrefix } from '../names.js';
import { toStatusJson } from '../status-json.js';

export const CONTINUATION_HEADER = 'x-ms-continuation-token';
/** The extension's default page size (OrchestrationStatusQueryCondition.PageSize). */
const DEFAULT_PAGE_SIZE = 100;
/** The table service returns at most 1,000 entities a page (and refuses a larger $top). */
const MAX_PAGE_SIZE = 1000;

/**
 * GET /instances: one page of statuses; when more remain, the token for the next page is in the
 * `x-ms-continuation-token` response header (the stock client follows it until it is absent).
 */
export async function listInstances(ctx: RequestContext): Promise<void> {
  const showInput = booleanParam(ctx.query, 'showInput', true);
  const query: InstanceQuery = {
    top: Math.min(positiveIntParam(ctx.query, 'top') ?? DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE),
    showInput,
  };
  const runtimeStatus = runtimeStatusParam(ctx.query, 'runtimeStatus');
  if (runtimeStatus) query.runtimeStatus = runtimeStatus;
  const createdTimeFrom = dateParam(ctx.query, 'createdTimeFrom');
  if (createdTimeFrom) query.createdTimeFrom = createdTimeFrom;
  const createdTimeTo = dateParam(ctx.query, 'createdTimeTo');
  if (createdTimeTo) query.createdTimeTo = createdTimeTo;
  const prefix = param(ctx.query, 'instanceIdPrefix');
  if (prefix !== undefined && prefix !== '') query.instanceIdPrefix = checkInstanceIdPrefix(prefix);
  const header = ctx.req.headers[CONTINUATION_HEADER];
  const headerValue = Array.isArray(header) ? header[0] : header;
  if (headerValue !== undefined && headerValue !== '') {
    query.continuationToken = checkContinuationToken(headerValue, CONTINUATION_HEADER);
  } else {
    // The extension's query form (continuationToken=) as a fallback to the header the stock client sends.
    const queryValue = param(ctx.query, 'continuationToken');
    if (queryValue !== undefined && queryValue !== '') query.continuationToken = checkContinuationToken(queryValue, 'continuationToken');
  }

  const page = await ctx.engine.query(query);
  const headers: Record<string, string> = {};
  if (page.continuationToken !== undefined && page.continuationToken !== '') headers[CONTINUATION_HEADER] = page.continuationToken;
  sendJson(
    ctx.res,
    200,
    page.instances.map((status) => toStatusJson({ ...status, history: undefined }, { showInput })),
    headers,
  );
}
