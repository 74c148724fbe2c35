/**
 * Creating, replacing and deleting schedules through the management API (function-level auth).
 *
 * The API owns the schedules it creates (origin `api`, bound into the origin marker) and only those: a schedule of
 * the schedules file or of the environment is refused with 409 (change it where it is declared; the file's reconcile
 * would otherwise undo the change). A DELETE terminates and purges; the same name can be created again, as a new
 * generation whose event ids never repeat the earlier ones.
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { checkSink } from '../eventsource/delivery/sink-guard.js';
import { checkDefinitionFor } from '../eventsource/core/normalized-spec.js';
import { describeSpec } from '../eventsource/core/normalized-spec.js';
import { stateSpecOf } from '../eventsource/core/schedule-start.js';
import { badRequest, clientInput, jsonBody, lookup, originOf, pathName, problem } from './shared/api-answers.js';
import { logChange } from './shared/change-log.js';
import { countSchedules, findInstance } from './shared/instances.js';
import { instanceIdFor } from './shared/names.js';
import { appServices } from './app-root.js';
import type { EnsureOutcome } from './shared/start-schedule.js';
import { API_DELETE_REASON, stopSchedule } from './shared/stop-schedule.js';

// Taken while the worker loads the functions: a bad configuration stops the start.
const { config, logger, originKey, scheduleStarter } = appServices();

const DECLARED_ELSEWHERE = {
  file: 'was declared in the schedules file (SCHEDULES_FILE); change or remove it there',
  env: "is the environment's schedule (SCHEDULE, SCHEDULE_NAME); change it there",
} as const;

function putAnswer(name: string, outcome: EnsureOutcome, body: Record<string, unknown>): HttpResponseInit {
  switch (outcome.outcome) {
    case 'started':
    case 'new-generation':
    case 'started-elsewhere':
      return { status: 201, jsonBody: { ...body, result: 'created' } };
    case 'restarted':
    case 'rescheduled':
    case 'unchanged':
      return { status: 200, jsonBody: { ...body, result: 'replaced' } };
    case 'not-confirmed':
      return { status: 202, jsonBody: { ...body, result: 'accepted', note: 'the running schedule has not shown the new spec yet' } };
    case 'ended':
      return problem(409, `schedule ${name} was deleted (or ended) while this request was under way; nothing was changed: send it again to create it (if this answer repeats, a DELETE did not finish: DELETE it first)`);
    case 'recheck':
      return problem(409, `schedule ${name} was started a moment ago and shows no status yet; try again shortly`);
    case 'alert':
      return problem(409, `the instance behind schedule ${name} was not created by this app (see the log); delete it first`);
  }
}

app.http('putSchedule', {
  route: 'schedules/{name}',
  methods: ['PUT'],
  authLevel: 'function',
  extraInputs: [clientInput],
  handler: async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const named = pathName(request);
    if (!named.ok) return named.answer;
    const name = named.value;
    const read = await jsonBody(request);
    if (!read.ok) return read.answer;
    if (read.value === undefined) return badRequest([{ field: 'body', why: 'is required: a schedule definition' }]);
    const checked = checkDefinitionFor(name, read.value, {
      checkSink: (url) => {
        const sink = checkSink(url, config.sinkAllowlist);
        return sink.ok ? undefined : sink.problem;
      },
      minIntervalMs: config.minIntervalMs,
    });
    if (!checked.ok) return badRequest(checked.problems);
    if (config.envSchedule && name === config.scheduleName) return problem(409, `schedule ${name} ${DECLARED_ELSEWHERE.env}`);
    const state = stateSpecOf(checked.spec);
    if (!state.ok) return badRequest([{ field: state.field, why: state.why }]);
    const client = df.getClient(context);
    const existing = await findInstance(client, instanceIdFor(name));
    const origin = existing && originOf(originKey, name, existing);
    if (origin === 'file' || origin === 'env') return problem(409, `schedule ${name} ${DECLARED_ELSEWHERE[origin]}`);
    if (!existing) {
      const held = await countSchedules(client);
      if (held >= config.maxSchedules) {
        return problem(409, `this host holds ${held} schedules, the most MAX_SCHEDULES (${config.maxSchedules}) allows; delete one first (or raise MAX_SCHEDULES)`);
      }
    }
    const outcome = await scheduleStarter.ensureRuns(client, { name, spec: state.spec, kind: 'api' });
    const answer = putAnswer(name, outcome, { name, spec: describeSpec(checked.spec, { redact: true }) });
    if (answer.status !== undefined && answer.status < 300) {
      const note = checked.spec.note === undefined ? {} : { note: checked.spec.note };
      logChange(logger, { schedule: name, operation: answer.status === 201 ? 'create' : 'replace', by: 'api', ...note, details: { result: outcome.outcome } });
    }
    return answer;
  },
});

app.http('deleteSchedule', {
  route: 'schedules/{name}',
  methods: ['DELETE'],
  authLevel: 'function',
  extraInputs: [clientInput],
  handler: async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const found = await lookup(request, context);
    if (!found.ok) return found.answer;
    const { name, client, status } = found.value;
    const origin = originOf(originKey, name, status);
    if (origin === 'file' || origin === 'env') return problem(409, `schedule ${name} ${DECLARED_ELSEWHERE[origin]}`);
    const stopped = await stopSchedule(client, name, API_DELETE_REASON);
    if (stopped === 'absent') return problem(404, `no schedule named ${name}`);
    if (stopped === 'restarted') return problem(409, `schedule ${name} was created again (a PUT meanwhile) while it was being deleted; the new one runs: DELETE it again to remove it`);
    logChange(logger, { schedule: name, operation: 'delete', by: 'api' });
    return { status: 204 };
  },
});
