/**
 * A schedule state written by the version before the schedules file (its spec was `{schedule, timeZone,
 * catchUpWindowMs, retry}`), read as today's state, so that a schedule running across the upgrade keeps its
 * generation, its sequence and its next tick instead of failing on its own input. Pure: the orchestrator reads it on
 * replay. The event's type and source were not in that state (they came from CE_TYPE/CE_SOURCE): the defaults stand
 * in until the starter compares the running spec with the environment's and sends the difference as a reschedule.
 */
import { DELIVERY_DEFAULTS, maxAttemptsOf } from './delivery-policy.js';
import { checkDefinition, type NormalizedSpec } from './normalized-spec.js';
import { parseSchedule } from './schedule.js';
import { ZERO_COUNTERS, type ScheduleState } from './schedule-state.js';

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const num = (value: unknown, fallback: number): number => (typeof value === 'number' && Number.isFinite(value) ? value : fallback);

/** The old spec as a definition: the interval keeps the phase of the next tick, so no tick moves. */
function legacySpec(name: string, spec: Json, nextFireTime: unknown): NormalizedSpec | undefined {
  if (typeof spec['schedule'] !== 'string' || typeof spec['timeZone'] !== 'string' || !isRecord(spec['retry'])) return undefined;
  let schedule;
  try {
    schedule = parseSchedule(spec['schedule'], spec['timeZone']);
  } catch {
    return undefined;
  }
  const next = typeof nextFireTime === 'string' ? Date.parse(nextFireTime) : Number.NaN;
  const trigger =
    schedule.kind === 'interval'
      ? { every: `${schedule.everyMs}ms`, offset: `${Number.isFinite(next) ? ((next % schedule.everyMs) + schedule.everyMs) % schedule.everyMs : 0}ms` }
      : { cron: schedule.expression, timezone: schedule.timeZone };
  const retry = spec['retry'];
  const checked = checkDefinition({
    name,
    ...trigger,
    catchUp: { window: `${num(spec['catchUpWindowMs'], 60_000)}ms`, policy: 'all' },
    delivery: {
      retry: Math.max(0, num(retry['maxAttempts'], maxAttemptsOf(DELIVERY_DEFAULTS)) - 1),
      backoffPolicy: retry['backoffPolicy'] === 'linear' ? 'linear' : 'exponential',
      backoffDelay: `${num(retry['backoffDelayMs'], DELIVERY_DEFAULTS.backoffDelayMs)}ms`,
      maxBackoff: `${num(retry['maxBackoffMs'], DELIVERY_DEFAULTS.maxBackoffMs)}ms`,
    },
  });
  return checked.ok ? checked.spec : undefined;
}

/** Today's state for a state of the old shape; undefined for anything else (which is then checked as it is). */
export function upgradeLegacyState(value: unknown): ScheduleState | undefined {
  if (!isRecord(value) || !isRecord(value['spec']) || 'trigger' in value['spec'] || typeof value['name'] !== 'string') return undefined;
  const spec = legacySpec(value['name'], value['spec'], value['nextFireTime']);
  if (!spec || typeof value['generation'] !== 'string' || typeof value['sequence'] !== 'number') return undefined;
  const counters = { ...ZERO_COUNTERS, skipped: num(value['skippedTicks'], 0), rejected: num(value['rejectedTicks'], 0), deadLettered: num(value['deadLetteredTicks'], 0) };
  return {
    name: value['name'],
    spec,
    generation: value['generation'],
    sequence: value['sequence'],
    counters,
    recent: [],
    consecutiveFailures: 0,
    queue: [],
    ...(typeof value['nextFireTime'] === 'string' ? { nextFireTime: value['nextFireTime'] } : {}),
    ...(typeof value['retryNotBefore'] === 'string' ? { retryNotBefore: value['retryNotBefore'] } : {}),
    ...(isRecord(value['lastDelivery']) ? { lastDelivery: value['lastDelivery'] as unknown as NonNullable<ScheduleState['lastDelivery']> } : {}),
    ...(typeof value['origin'] === 'string' ? { origin: value['origin'] } : {}),
    // Skipped before the upgrade: not counted in today's metrics as if they had just happened.
    ...(counters.skipped > 0 ? { skippedReported: counters.skipped } : {}),
  };
}
