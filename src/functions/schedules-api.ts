/**
 * Management endpoints that read (function-level auth): list the schedules, describe one. Writing endpoints are in
 * schedules-api-write.ts (PUT, DELETE), the schedule's own actions in schedules-api-actions.ts. They go through the
 * stock DurableClient (the list: one page of the Durable HTTP API's list route, see shared/instance-pages.ts) and never
 * touch storage directly.
 */
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import type { DurableOrchestrationStatus } from 'durable-functions';
import { checkListQuery, continuationTokenFor, type ListQuery, type ListStatus } from '../eventsource/core/schedules-api-requests.js';
import { badRequest, clientInput, lookup } from './shared/api-answers.js';
import { BadContinuationToken, readInstancePage } from './shared/instance-pages.js';
import { instanceIdFor, ORCHESTRATOR, scheduleNameOf } from './shared/names.js';
import { listStatusOf, scheduleDetail, scheduleSummary } from './shared/views.js';
import { appServices } from './app-root.js';

// Taken while the worker loads the functions: a bad configuration stops the start.
const { originKey } = appServices();

/** The Durable runtime statuses a listed status can have (`running` and `paused` are told apart by the status). */
const RUNTIME_STATUSES: Record<ListStatus, readonly string[]> = {
  running: ['Running', 'Pending', 'ContinuedAsNew'],
  paused: ['Running', 'Pending', 'ContinuedAsNew', 'Suspended'],
  failed: ['Failed', 'Terminated'],
  completed: ['Completed'],
};

/**
 * At most this many reads of the list route per page when a status filter drops instances (a page may then hold
 * fewer than `top`; its token goes on from where the reads stopped).
 */
const MAX_READS_PER_PAGE = 5;

/**
 * One page of schedules in name order: one read of the Durable list route (instance ids `schedule-<name>`, which
 * storage keeps in name order), whatever the number of schedules; a status filter reads on while it drops some.
 * Each read asks for what is still missing, so no read returns more than the page takes.
 */
async function schedulePage(context: InvocationContext, query: ListQuery): Promise<{ statuses: DurableOrchestrationStatus[]; page?: string }> {
  const statuses: DurableOrchestrationStatus[] = [];
  let page = query.page;
  for (let read = 0; read < MAX_READS_PER_PAGE && statuses.length < query.top; read++) {
    const answer = await readInstancePage(context, {
      instanceIdPrefix: instanceIdFor(''),
      top: query.top - statuses.length,
      ...(query.status ? { runtimeStatus: RUNTIME_STATUSES[query.status] } : {}),
      ...(page !== undefined ? { continuationToken: page } : {}),
    });
    statuses.push(...answer.instances.filter((s) => s.name === ORCHESTRATOR && scheduleNameOf(s.instanceId) !== undefined && (query.status === undefined || listStatusOf(s) === query.status)));
    page = answer.continuationToken;
    if (page === undefined) break;
  }
  return page === undefined ? { statuses } : { statuses, page };
}

app.http('listSchedules', {
  route: 'schedules',
  methods: ['GET'],
  authLevel: 'function',
  extraInputs: [clientInput],
  handler: async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
    const query = checkListQuery(request.query.entries());
    if (!query.ok) return badRequest(query.problems);
    let found;
    try {
      found = await schedulePage(context, query.value);
    } catch (error) {
      if (error instanceof BadContinuationToken) return badRequest([{ field: 'continuationToken', why: 'is not a continuation token this API gave (or no longer valid)' }]);
      throw error;
    }
    // A summary per schedule; GET /schedules/{name} has the rest.
    const schedules = found.statuses.map((status) => scheduleSummary(originKey, status));
    return { status: 200, jsonBody: { schedules, ...(found.page !== undefined ? { continuationToken: continuationTokenFor(found.page) } : {}) } };
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
    return { status: 200, jsonBody: scheduleDetail(originKey, found.value.status) };
  },
});
