import { instanceNotFound } from '../errors.js';
import { sendJson } from '../http-io.js';
import { lenientBooleanParam as booleanParam } from '../query-params.js';
import type { RequestContext } from '../request-context.js';
import { toStatusJson } from '../status-json.js';
import { toExtensionHistory } from '../history-json.js';

/**
 * GET /instances/{id}: 202 + Location + Retry-After while the instance is live, 200 once it ended,
 * 500 for Failed only when returnInternalServerErrorOnFailure=true, 404 when unknown.
 */
export async function getStatus(ctx: RequestContext, instanceId: string, returnInternalServerErrorOnFailure?: boolean): Promise<void> {
  const showHistory = booleanParam(ctx.query, 'showHistory', false);
  const showHistoryOutput = booleanParam(ctx.query, 'showHistoryOutput', false);
  const showInput = booleanParam(ctx.query, 'showInput', true);
  const failAs500 = returnInternalServerErrorOnFailure ?? booleanParam(ctx.query, 'returnInternalServerErrorOnFailure', false);

  const status = await ctx.engine.getStatus(instanceId, { showHistory, showHistoryOutput, showInput });
  if (status === undefined) {
    throw instanceNotFound(instanceId);
  }
  // The extension reads no history of a Pending instance, and leaves historyEvents out then.
  const withHistory = showHistory && status.history !== undefined && status.runtimeStatus !== 'Pending';
  const history = withHistory && status.history !== undefined ? toExtensionHistory(status.history, { showHistoryOutput, showInput }) : undefined;
  const body = toStatusJson({ ...status, history }, { showInput });
  switch (status.runtimeStatus) {
    case 'Running':
    case 'Pending':
    case 'ContinuedAsNew':
    case 'Suspended':
      sendJson(ctx.res, 202, body, { Location: ctx.requestUrl, 'Retry-After': '5' });
      return;
    case 'Failed':
      sendJson(ctx.res, failAs500 ? 500 : 200, body);
      return;
    case 'Completed':
    case 'Canceled':
    case 'Terminated':
      sendJson(ctx.res, 200, body);
      return;
  }
}
