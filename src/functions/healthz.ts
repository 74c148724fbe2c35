/** Liveness/readiness probe: anonymous and cheap (the worker answering is what it reports). */
import { app } from '@azure/functions';

app.http('healthz', {
  route: 'healthz',
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: async () => ({ status: 200, jsonBody: { status: 'ok' } }),
});
