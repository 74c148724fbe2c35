/**
 * Liveness/readiness probe: anonymous and cheap (the worker answering is what it reports). While ticks run late or
 * are skipped it says `degraded` and why, still with 200: a slow sink or a busy host is no reason for Kubernetes to
 * restart the pod (which would only make the schedules later).
 */
import { app } from '@azure/functions';
import { overload } from './shared/observability.js';

app.http('healthz', {
  route: 'healthz',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: async () => {
    const health = overload.health();
    return { status: 200, jsonBody: health.degraded ? { status: 'degraded', reasons: health.reasons } : { status: 'ok' } };
  },
});
