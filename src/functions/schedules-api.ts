/**
 * Management endpoints that read (function-level auth): list the schedules, describe one. Writing endpoints are in
 * schedules-api-write.ts (PUT, DELETE), the schedule's own actions in schedules-api-actions.ts. They go through the
 * stock DurableClient and never touch storage directly.
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { asScheduleStatus } from '../eventsource/core/schedule-schema.js';
import { checkListQuery, continuationTokenAfter } from '../eventsource/core/schedules-api-requests.js';
import { badRequest, clientInput, lookup, originOf } from './shared/api-answers.js';
import { ORCHESTRATOR, scheduleNameOf } from './shared/names.js';
import { listStatusOf, scheduleDetail, scheduleView } from './shared/views.js';

app.http('listSchedules', {
  route: 'schedules',
  methods: ['GET'],
  authLevel: 'function',
  extraInputs: [clientInput],
  handler: async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const query = checkListQuery(request.query.entries());
    if (!query.ok) return badRequest(query.problems);
    const { status, top, after } = query.value;
    const client = df.getClient(context);
    const all = await client.getStatusAll();
    // Name order: a page ends at a name, and the next starts after it, whatever was created or deleted in between.
    const matching = all
      .filter((s) => s.name === ORCHESTRATOR && scheduleNameOf(s.instanceId) !== undefined)
      .filter((s) => status === undefined || listStatusOf(s) === status)
      .map((s) => ({ s, name: scheduleNameOf(s.instanceId) as string }))
      .filter(({ name }) => after === undefined || name > after)
      .sort((a, b) => (a.name < b.name ? -1 : 1));
    const page = matching.slice(0, top);
    const schedules = page.map(({ s, name }) => ({ ...scheduleView(s), status: listStatusOf(s), origin: originOf(name, s) ?? 'unknown' }));
    const last = page[page.length - 1];
    const more = matching.length > page.length && last !== undefined;
    return { status: 200, jsonBody: { schedules, ...(more ? { continuationToken: continuationTokenAfter(last.name) } : {}) } };
  },
});

app.http('getSchedule', {
  route: 'schedules/{name}',
  methods: ['GET'],
  authLevel: 'function',
  extraInputs: [clientInput],
  handler: async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const found = await lookup(request, context);
    if (!found.ok) return found.answer;
    const { name, status } = found.value;
    const generation = asScheduleStatus(status.customStatus)?.generation;
    return {
      status: 200,
      jsonBody: { ...scheduleDetail(status), status: listStatusOf(status), origin: originOf(name, status) ?? 'unknown', ...(generation ? { generation } : {}) },
    };
  },
});
