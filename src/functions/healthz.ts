/**
 * Liveness/readiness probe: anonymous and cheap (the worker answering is what it reports). While ticks run late or
 * are skipped, or a sink is down, it says `degraded` and why, still with 200: a slow sink or a busy host is no reason for Kubernetes to
 * restart the pod (which would only make the schedules later).
 */
import { app } from '@azure/functions';
import { appServices } from './app-root.js';

const { overload, sinkBreaker } = appServices();

app.http('healthz', {
  route: 'healthz',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: async () => {
    const health = overload.health();
    // A sink that is down (sink-breaker.ts) is named with the time it went down and what it last answered.
    const sinks = sinkBreaker.down().map(({ origin, since, lastReason }) => `sink ${origin} down since ${new Date(since).toISOString()} (${lastReason})`);
    const reasons = [...health.reasons, ...sinks];
    return { status: 200, jsonBody: reasons.length > 0 ? { status: 'degraded', reasons } : { status: 'ok' } };
  },
});
