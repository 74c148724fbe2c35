/**
 * Management endpoints (function-level auth) over the stock DurableClient: list schedules, show one, pause
 * (durable suspend) and resume. They never touch storage directly.
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import type { DurableOrchestrationStatus } from 'durable-functions';
import { isValidScheduleName } from '../eventsource/schedule-name.js';
import { ORCHESTRATOR, instanceIdFor, scheduleNameOf } from './shared/names.js';
import { findInstance } from './shared/instances.js';
import { scheduleDetail, scheduleRuntimeStatus, scheduleView } from './shared/views.js';

const CONTROLLABLE = new Set(['Running', 'Pending', 'Suspended']);
const clientInput = df.input.durableClient();

function problem(status: number, message: string): HttpResponseInit {
  return { status, jsonBody: { error: message } };
}

interface FoundSchedule {
  name: string;
  instanceId: string;
  client: df.DurableClient;
  status: DurableOrchestrationStatus;
}

/** Resolves the `{name}` of a request to its schedule's instance, or to the 400/404 answer. */
async function lookup(request: HttpRequest, context: InvocationContext): Promise<FoundSchedule | HttpResponseInit> {
  const name = request.params.name;
  if (!name || !isValidScheduleName(name)) {
    return problem(400, 'name: a schedule name is 1-63 characters of a-z, 0-9 and -, starting with a letter or digit');
  }
  const client = df.getClient(context);
  const instanceId = instanceIdFor(name);
  const status = await findInstance(client, instanceId);
  if (!status) return problem(404, `no schedule named ${name}`);
  return { name, instanceId, client, status };
}

function isAnswer(value: FoundSchedule | HttpResponseInit): value is HttpResponseInit {
  return !('instanceId' in value);
}

app.http('listSchedules', {
  route: 'schedules',
  methods: ['GET'],
  authLevel: 'function',
  extraInputs: [clientInput],
  handler: async (_request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const client = df.getClient(context);
    const all = await client.getStatusAll();
    const schedules = all
      .filter((s) => s.name === ORCHESTRATOR && scheduleNameOf(s.instanceId) !== undefined)
      .map(scheduleView);
    return { status: 200, jsonBody: { schedules } };
  },
});

app.http('getSchedule', {
  route: 'schedules/{name}',
  methods: ['GET'],
  authLevel: 'function',
  extraInputs: [clientInput],
  handler: async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const found = await lookup(request, context);
    if (isAnswer(found)) return found;
    return { status: 200, jsonBody: scheduleDetail(found.status) };
  },
});

for (const action of ['pause', 'resume'] as const) {
  app.http(`${action}Schedule`, {
    route: `schedules/{name}/${action}`,
    methods: ['POST'],
    authLevel: 'function',
    extraInputs: [clientInput],
    handler: async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
      const found = await lookup(request, context);
      if (isAnswer(found)) return found;
      const { name, instanceId, client } = found;
      const runtimeStatus = scheduleRuntimeStatus(found.status);
      if (!CONTROLLABLE.has(runtimeStatus)) return problem(409, `schedule ${name} is ${runtimeStatus}; only a running or paused schedule can be paused or resumed`);
      const reason = `${action} requested through the management API`;
      if (action === 'pause') await client.suspend(instanceId, reason);
      else await client.resume(instanceId, reason);
      return { status: 202, jsonBody: { name, instanceId, accepted: action } };
    },
  });
}
