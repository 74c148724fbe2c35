/**
 * `GET /api/metrics`: Prometheus text format, anonymous and read-only like `/api/healthz`. It serves prom-client's
 * default registry: the event source's `eventsource_*` metrics and whatever else registers there (the embedded
 * host's `durable_*`). The schedules gauge is counted here, from the management API's own listing, at most once
 * every few seconds however often Prometheus scrapes, and less often the longer a count takes (count-reuse.ts).
 */
import { app, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import * as df from 'durable-functions';
import { register } from 'prom-client';
import { setScheduleCounts, type ScheduleStateLabel } from '../eventsource/observability/metrics.js';
import { clientInput } from './shared/api-answers.js';
import { ORCHESTRATOR, scheduleNameOf } from './shared/names.js';
import { listStatusOf } from './shared/views.js';
import { countReuseMs } from './shared/count-reuse.js';
import { appServices } from './app-root.js';

const { metrics, logger } = appServices();

/** The last count: until when it is served (while it runs, until it ends) and the listing (shared by concurrent scrapes). */
let counted: { until: number; pending: Promise<void> } | undefined;

async function countSchedules(context: InvocationContext): Promise<void> {
  const all = await df.getClient(context).getStatusAll();
  const counts: Partial<Record<ScheduleStateLabel, number>> = {};
  for (const status of all) {
    if (status.name !== ORCHESTRATOR || scheduleNameOf(status.instanceId) === undefined) continue;
    const state = listStatusOf(status);
    if (state !== undefined) counts[state] = (counts[state] ?? 0) + 1;
  }
  setScheduleCounts(metrics, counts);
}

/** The schedules counted again once the last count's reuse is over; concurrent scrapes share one listing. */
function freshCounts(context: InvocationContext): Promise<void> {
  const began = Date.now();
  if (counted === undefined || began >= counted.until) {
    const current: { until: number; pending: Promise<void> } = { until: Number.POSITIVE_INFINITY, pending: Promise.resolve() };
    current.pending = countSchedules(context).then(
      () => {
        current.until = began + countReuseMs(Date.now() - began);
      },
      (error: unknown) => {
        // The other metrics are still worth serving; the gauge keeps its last values.
        logger.warn({ reason: error instanceof Error ? error.message : String(error) }, 'metrics: the schedules could not be counted');
        if (counted === current) counted = undefined;
      },
    );
    counted = current;
  }
  return counted.pending;
}

app.http('metrics', {
  route: 'metrics',
  methods: ['GET'],
  authLevel: 'anonymous',
  extraInputs: [clientInput],
  handler: async (_request, context: InvocationContext): Promise<HttpResponseInit> => {
    await freshCounts(context);
    return { status: 200, headers: { 'content-type': register.contentType }, body: await register.metrics() };
  },
});
