/**
 * A schedule's own actions through the management API (function-level auth): pause, resume, trigger, backfill.
 * Each raises an event on the schedule's orchestration (names and payloads in shared/names.ts), which decides what
 * happens (the overlap policy for a trigger, the catch-up policy on resume); the answer is 202.
 */
import { randomUUID } from 'node:crypto';
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { manualEventId } from '../eventsource/core/event.js';
import { ticksBetween, timeline } from '../eventsource/core/fire-times.js';
import { EventSourceError } from '../eventsource/core/errors.js';
import { backfillEnd, queuedBackfillTicks } from '../eventsource/core/schedule-events.js';
import { isLive } from '../eventsource/core/schedule-reconcile.js';
import { asScheduleStatus } from '../eventsource/core/schedule-schema.js';
import { runningSpecOf, timingOf } from '../eventsource/core/schedule-start.js';
import type { ScheduleStatus } from '../eventsource/core/schedule-status.js';
import { checkBackfillBody, checkNoteBody } from '../eventsource/core/schedules-api-requests.js';
import { badRequest, clientInput, jsonBody, lookup, problem, type FoundSchedule, type Or } from './shared/api-answers.js';
import { logChange } from './shared/change-log.js';
import { BACKFILL_EVENT, PAUSE_EVENT, RESUME_EVENT, TRIGGER_EVENT } from './shared/names.js';
import { appServices } from './app-root.js';
import { scheduleRuntimeStatus } from './shared/views.js';

// Taken while the worker loads the functions: a bad configuration stops the start.
const { config, logger } = appServices();

interface Target extends FoundSchedule {
  schedule: ScheduleStatus;
}

/** The live schedule a request names, with its status, or the 400/404/409 answer. */
async function target(request: HttpRequest, context: InvocationContext): Promise<Or<Target>> {
  const found = await lookup(request, context);
  if (!found.ok) return found;
  const { name, status } = found.value;
  const runtimeStatus = scheduleRuntimeStatus(status);
  if (!isLive(runtimeStatus)) return { ok: false, answer: problem(409, `schedule ${name} is ${runtimeStatus}; only a running or paused schedule takes this action`) };
  const schedule = asScheduleStatus(status.customStatus);
  if (!schedule || schedule.name !== name) return { ok: false, answer: problem(409, `schedule ${name} shows no schedule status yet; try again shortly`) };
  return { ok: true, value: { ...found.value, schedule } };
}

function route(action: string, handler: (request: HttpRequest, found: Target) => Promise<HttpResponseInit>): void {
  app.http(`${action}Schedule`, {
    route: `schedules/{name}/${action}`,
    methods: ['POST'],
    authLevel: 'function',
    extraInputs: [clientInput],
    handler: async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
      const found = await target(request, context);
      return found.ok ? handler(request, found.value) : found.answer;
    },
  });
}

for (const [action, event] of [['pause', PAUSE_EVENT], ['resume', RESUME_EVENT]] as const) {
  route(action, async (request, { name, instanceId, client }) => {
    const read = await jsonBody(request);
    if (!read.ok) return read.answer;
    const body = checkNoteBody(read.value);
    if (!body.ok) return badRequest(body.problems);
    await client.raiseEvent(instanceId, event, body.value);
    logChange(logger, { schedule: name, operation: action, by: 'api', ...body.value });
    return { status: 202, jsonBody: { name, instanceId, accepted: action } };
  });
}

route('trigger', async (_request, { name, instanceId, client, schedule }) => {
  const requestId = randomUUID();
  const id = manualEventId({ scheduleName: name, generation: schedule.generation, requestId });
  await client.raiseEvent(instanceId, TRIGGER_EVENT, { requestId });
  logChange(logger, { schedule: name, operation: 'trigger', by: 'api', details: { id } });
  return { status: 202, jsonBody: { id } };
});

route('backfill', async (request, { name, instanceId, client, schedule }) => {
  const read = await jsonBody(request);
  if (!read.ok) return read.answer;
  const body = checkBackfillBody(read.value);
  if (!body.ok) return badRequest(body.problems);
  const { fromMs, toMs } = body.value;
  const beyond = beyondDue(toMs, schedule);
  if (beyond !== undefined) return badRequest([{ field: 'to', why: beyond }]);
  const limit = config.maxBackfillTicks;
  const tl = timeline(timingOf(runningSpecOf(schedule)), Date.parse(schedule.generation));
  let ticks: number;
  try {
    ticks = ticksBetween(tl, fromMs, toMs, limit).length;
  } catch (error) {
    if (error instanceof EventSourceError && error.code === 'BACKFILL_TOO_LARGE') {
      return badRequest([{ field: 'to', why: `the range holds more than ${limit} ticks, the most MAX_BACKFILL_TICKS allows at once; split it` }]);
    }
    throw error;
  }
  const queued = queuedBackfillTicks(tl, schedule.queue, limit);
  if (ticks > 0 && queued + ticks > limit) {
    return problem(429, `schedule ${name} has ${queued > limit ? `more than ${limit}` : queued} backfilled ticks queued; ${ticks} more would pass MAX_BACKFILL_TICKS (${limit}): try again when they are sent`);
  }
  const [from, to] = [new Date(fromMs).toISOString(), new Date(toMs).toISOString()];
  await client.raiseEvent(instanceId, BACKFILL_EVENT, { from, to });
  logChange(logger, { schedule: name, operation: 'backfill', by: 'api', details: { from, to, ticks } });
  return { status: 202, jsonBody: { name, instanceId, ticks } };
});

/**
 * Why a backfill may not end at `toMs`: a tick not yet due is never sent early, and the due ticks from the schedule's
 * own next one on are still its to send (the orchestration holds to the same end: schedule-events.ts backfillEnd).
 */
function beyondDue(toMs: number, schedule: ScheduleStatus): string | undefined {
  const now = new Date();
  if (toMs > now.getTime() + 1) return `is in the future (now is ${now.toISOString()}); a backfill covers only ticks already due`;
  const end = backfillEnd(schedule, now);
  if (toMs > end) {
    return `is after ${new Date(end).toISOString()}, the schedule's next own tick: the due ticks from there on are still the schedule's to send (or skip, by its catch-up policy); end the backfill there`;
  }
  return undefined;
}
