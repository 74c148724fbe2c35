/**
 * A schedule's own actions through the management API (function-level auth): pause, resume, trigger, backfill.
 * Each raises an event on the schedule's orchestration (names and payloads in shared/names.ts), which decides what
 * happens (the overlap policy for a trigger, the catch-up policy on resume); the answer is 202.
 */
import { randomUUID } from 'node:crypto';
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { manualEventId } from '../eventsource/event.js';
import { MAX_BACKFILL_TICKS, ticksBetween, timeline } from '../eventsource/fire-times.js';
import { EventSourceError } from '../eventsource/errors.js';
import { asScheduleStatus } from '../eventsource/schedule-schema.js';
import { runningSpecOf, timingOf } from '../eventsource/schedule-start.js';
import type { ScheduleStatus } from '../eventsource/schedule-state.js';
import { checkBackfillBody, checkNoteBody } from '../eventsource/schedules-api-requests.js';
import { badRequest, clientInput, jsonBody, lookup, problem, type FoundSchedule, type Or } from './shared/api-answers.js';
import { BACKFILL_EVENT, PAUSE_EVENT, RESUME_EVENT, TRIGGER_EVENT } from './shared/names.js';
import { scheduleRuntimeStatus } from './shared/views.js';

const LIVE = new Set(['Running', 'Pending', 'Suspended']);

interface Target extends FoundSchedule {
  schedule: ScheduleStatus;
}

/** The live schedule a request names, with its status, or the 400/404/409 answer. */
async function target(request: HttpRequest, context: InvocationContext): Promise<Or<Target>> {
  const found = await lookup(request, context);
  if (!found.ok) return found;
  const { name, status } = found.value;
  const runtimeStatus = scheduleRuntimeStatus(status);
  if (!LIVE.has(runtimeStatus)) return { ok: false, answer: problem(409, `schedule ${name} is ${runtimeStatus}; only a running or paused schedule takes this action`) };
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
    return { status: 202, jsonBody: { name, instanceId, accepted: action } };
  });
}

route('trigger', async (_request, { name, instanceId, client, schedule }) => {
  const requestId = randomUUID();
  const id = manualEventId({ scheduleName: name, generation: schedule.generation, requestId });
  await client.raiseEvent(instanceId, TRIGGER_EVENT, { requestId });
  return { status: 202, jsonBody: { id } };
});

route('backfill', async (request, { name, instanceId, client, schedule }) => {
  const read = await jsonBody(request);
  if (!read.ok) return read.answer;
  const body = checkBackfillBody(read.value);
  if (!body.ok) return badRequest(body.problems);
  const { fromMs, toMs } = body.value;
  let ticks: number;
  try {
    ticks = ticksBetween(timeline(timingOf(runningSpecOf(schedule)), Date.parse(schedule.generation)), fromMs, toMs).length;
  } catch (error) {
    if (error instanceof EventSourceError && error.code === 'BACKFILL_TOO_LARGE') {
      return badRequest([{ field: 'to', why: `the range holds more than ${MAX_BACKFILL_TICKS} ticks (MAX_BACKFILL_TICKS); split it` }]);
    }
    throw error;
  }
  await client.raiseEvent(instanceId, BACKFILL_EVENT, { from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString() });
  return { status: 202, jsonBody: { name, instanceId, ticks } };
});
