import { HttpApiError } from '../errors.js';
import { dotnetBoolean, param } from '../query-params.js';
import { requireOrchestration, type RequestContext } from '../request-context.js';
import { answerStarted, waitParams } from './start.js';

/**
 * POST /instances/{id}/restart?restartWithNewInstanceId=true|false: starts the instance's orchestrator again with
 * its original input, under a new id (the default, also when the value is not a boolean, as the extension reads it)
 * or the same id (which must have ended: a live one is a 409 as for a start). Answers as a start does: 202 with the
 * new instance's check-status links, or with timeout and pollingInterval the create-and-wait answer. An unknown id
 * is a 400, as the extension answers it.
 */
export async function restartInstance(ctx: RequestContext, instanceId: string): Promise<void> {
  const raw = param(ctx.query, 'restartWithNewInstanceId');
  const withNewId = (raw === undefined ? undefined : dotnetBoolean(raw)) ?? true;
  const wait = waitParams(ctx);
  const status = await ctx.engine.getStatus(instanceId, { showInput: true });
  if (status === undefined) {
    throw HttpApiError.withExtensionMessage(
      400,
      'INSTANCE_NOT_FOUND',
      `instanceId: no instance with id '${instanceId}' to restart`,
      'InstanceId does not match a valid orchestration instance.',
    );
  }
  const input: unknown = status.input;
  requireOrchestration(ctx, status.name);
  const id = await ctx.engine.start(status.name, withNewId ? { input } : { instanceId, input });
  await answerStarted(ctx, id, wait);
}
