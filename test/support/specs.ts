import { checkDefinition, type NormalizedSpec } from '../../src/eventsource/core/normalized-spec.js';

/** The normalised spec of a definition (as a schedules-file entry would hold it); throws naming the problem. */
export function specOf(definition: Record<string, unknown>): NormalizedSpec {
  const checked = checkDefinition({ name: 'default', ...definition });
  if (!checked.ok) throw new Error(`bad test spec: ${JSON.stringify(checked.problems)}`);
  return checked.spec;
}

/** Today's test schedule: every 10 s, a minute of catch-up, 3 attempts (retry: 2), exponential back-off from 1 s. */
export const TEN_SECONDS = specOf({
  every: '10s',
  catchUp: { window: '60s', policy: 'all' },
  delivery: { retry: 2, backoffPolicy: 'exponential', backoffDelay: '1s', maxBackoff: '30s' },
});
