/**
 * Management endpoints (function-level auth) over the stock DurableClient: list schedules, show one, pause
 * (durable suspend) and resume. They never touch storage directly.
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { isValidScheduleName } from '../eventsource/schedule-name.js';
import { ORCHESTRATOR, instanceIdFor, scheduleNameOf } from './shared/names.js';
import { findInstance } from './shared/instances.js';
import { scheduleDetail, scheduleRuntimeStatus, scheduleView } from './shared/views.js';

const CONTROLLABLE = new Set(['Running', 'Pending', 'Suspended']);
const clientInput = df.input.durableClient();

function problem(status: number, message: string): HttpResponseInit {
  return { status, jsonBody: { error: message } };
}

function badName(name: string | undefined): HttpResponseInit | undefined {
  if (name && isValidScheduleName(name)) return undefined;
  return problem(400, 'name: a schedule name is 1-63 characters of a-z, 0-9 and -, starting with a letter or digit');
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
    const name = request.params.name;
    const invalid = badName(name);
    if (invalid) return invalid;
    const status = await findInstance(df.getClient(context), instanceIdFor(name as string));
    if (!status) return problem(404, `no schedule named ${name}`);
    return { status: 200, jsonBody: scheduleDetail(status) };
  },
});

for (const action of ['pause', 'resume'] as const) {
  app.http(`${action}Schedule`, {
    route: `schedules/{name}/${action}`,
    methods: ['POST'],
    authLevel: 'function',
    extraInputs: [clientInput],
    handler: async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
      const name = request.params.name;
      const invalid = badName(name);
      if (invalid) return invalid;
      const client = df.getClient(context);
      const instanceId = instanceIdFor(name as string);
      const found = await findInstance(client, instanceId);
      if (!found) return problem(404, `no schedule named ${name}`);
      const runtimeStatus = scheduleRuntimeStatus(found);
      if (!CONTROLLABLE.has(runtimeStatus)) return problem(409, `schedule ${name} is ${runtimeStatus}; only a running or paused schedule can be paused or resumed`);
      const reason = `${action} requested through the management API`;
      if (action === 'pause') await client.suspend(instanceId, reason);
      else await client.resume(instanceId, reason);
      return { status: 202, jsonBody: { name, instanceId, accepted: action } };
    },
  });
}
