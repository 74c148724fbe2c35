/**
 * The environment's single schedule (SCHEDULE, SCHEDULE_TIMEZONE, SCHEDULE_NAME, CE_*, DELIVERY_*, CATCH_UP_WINDOW)
 * as a schedule definition, checked by the one schema like any schedules-file entry or API body. loadConfig has
 * already checked each variable; a problem the schema still finds is reported against the variable it came from.
 */
import type { DeliveryPolicy } from './delivery-policy.js';
import { formatDuration } from './duration.js';
import { ConfigError } from './errors.js';
import { checkDefinition, type NormalizedSpec } from './normalized-spec.js';
import type { Schedule } from './schedule.js';

interface EnvSchedule {
  scheduleName: string;
  schedule: Schedule;
  /** The variable the schedule came from: SCHEDULE, or the legacy DurationInSeconds. */
  scheduleVariable: 'SCHEDULE' | 'DurationInSeconds';
  ceType: string;
  ceSource: string;
  ceMode: 'binary' | 'structured';
  ceOverrides: Record<string, string>;
  delivery: Omit<DeliveryPolicy, 'deadLetterSink'>;
  catchUpWindowMs: number;
  /** MIN_INTERVAL: the schedule is held to it like any other a caller hands in. */
  minIntervalMs: number;
}

/** Which variable a definition field comes from. */
const VARIABLE_OF: Record<string, string> = {
  name: 'SCHEDULE_NAME',
  timezone: 'SCHEDULE_TIMEZONE',
  'event.type': 'CE_TYPE',
  'event.source': 'CE_SOURCE',
  'event.mode': 'CE_MODE',
  'event.extensions': 'K_CE_OVERRIDES',
  'catchUp.window': 'CATCH_UP_WINDOW',
  'delivery.retry': 'DELIVERY_RETRY',
  'delivery.backoffPolicy': 'DELIVERY_BACKOFF_POLICY',
  'delivery.backoffDelay': 'DELIVERY_BACKOFF_DELAY',
  'delivery.maxBackoff': 'DELIVERY_MAX_BACKOFF',
  'delivery.timeout': 'DELIVERY_TIMEOUT',
};

/**
 * The definition the environment describes (plain JSON, as a file entry would hold it). The sink stays unset: the
 * schedule posts to K_SINK, the default sink. (DELIVERY_RETRY counts attempts; loadConfig has made it the policy's
 * `retry`, the retries after the first attempt, as Knative counts them: DELIVERY_RETRY=5 is `retry: 4`.)
 */
function envDefinition(env: EnvSchedule): Record<string, unknown> {
  const trigger =
    env.schedule.kind === 'interval'
      ? { every: env.schedule.text }
      : { cron: env.schedule.expression, timezone: env.schedule.timeZone };
  return {
    name: env.scheduleName,
    ...trigger,
    event: { type: env.ceType, source: env.ceSource, extensions: env.ceOverrides, mode: env.ceMode },
    catchUp: { window: formatDuration(env.catchUpWindowMs), policy: 'all' },
    overlap: 'bufferAll',
    delivery: {
      retry: env.delivery.retry,
      backoffPolicy: env.delivery.backoffPolicy,
      backoffDelay: formatDuration(env.delivery.backoffDelayMs),
      maxBackoff: formatDuration(env.delivery.maxBackoffMs),
      timeout: formatDuration(env.delivery.timeoutMs),
    },
  };
}

/** The normalised spec of the environment's schedule; throws ConfigError naming the variable of the first problem. */
export function envScheduleSpec(env: EnvSchedule): NormalizedSpec {
  const checked = checkDefinition(envDefinition(env), { minIntervalMs: env.minIntervalMs });
  if (checked.ok) return checked.spec;
  const first = checked.problems[0];
  const field = first?.field ?? '';
  const variable = field === 'every' || field === 'cron' ? env.scheduleVariable : VARIABLE_OF[field] ?? env.scheduleVariable;
  throw new ConfigError(variable, first?.why ?? 'is not a valid schedule');
}
