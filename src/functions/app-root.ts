/**
 * The Functions app's composition root: the one place that reads the environment, validates the configuration and
 * builds the services (logger, metrics, traces, overload monitor, sink breaker, delivery pipeline, the schedule
 * starter, the schedules file's rules). It is built once, the first time a registration file asks for it while the
 * worker loads the functions: a bad value throws a ConfigError whose one-line message names the variable, and the host
 * refuses to start. Only the registration files (src/functions/*.ts) ask for it; they hand each helper of
 * src/functions/shared what it uses as arguments (a lint rule keeps app-root out of shared/ and src/eventsource).
 * Nothing else in src/eventsource or src/functions reads process.env or builds a service at import time.
 */
import { app } from '@azure/functions';
import { loadConfig, redactedConfig, type EventSourceConfig } from '../eventsource/config/config.js';
import { originKeyFrom, originSecretFrom } from '../eventsource/core/schedule-origin.js';
import type { DeliveryResult } from '../eventsource/core/schedule-state.js';
import { SinkBreaker } from '../eventsource/delivery/sink-breaker.js';
import { createTickDelivery } from '../eventsource/delivery/tick-delivery.js';
import type { TickRequest } from '../eventsource/delivery/tick-request.js';
import { createLogger, type Logger } from '../eventsource/observability/logger.js';
import { eventSourceMetrics, watchSinks, type EventSourceMetrics } from '../eventsource/observability/metrics.js';
import { OverloadMonitor } from '../eventsource/observability/overload.js';
import { setupTracing } from '../eventsource/observability/tracing.js';
import { fileScheduleValidator, type FileSchedule } from '../eventsource/schedules-file/entries.js';
import { checkSchedulesFileAtStart, type Validate } from '../eventsource/schedules-file/file.js';
import { ScheduleStarter } from './shared/start-schedule.js';

type Env = Record<string, string | undefined>;

export interface AppServices {
  readonly config: EventSourceConfig;
  readonly logger: Logger;
  /** The key of the starter's origin marker (core/schedule-origin.ts), from the storage account key in AzureWebJobsStorage. */
  readonly originKey: Buffer;
  readonly metrics: EventSourceMetrics;
  /** What the worker knows of each sink origin, shared by every schedule's deliveries; healthz and the metrics read it. */
  readonly sinkBreaker: SinkBreaker;
  readonly overload: OverloadMonitor;
  /** The schema of the schedules file's entries under this configuration. */
  readonly validateScheduleFile: Validate<FileSchedule>;
  /** One attempt of one tick: the delivery pipeline (delivery/tick-delivery.ts), counted in the metrics. */
  readonly deliverTick: (request: TickRequest) => Promise<DeliveryResult>;
  /** Starts and changes schedules, one for the environment's schedule, the schedules file and the management API. */
  readonly scheduleStarter: ScheduleStarter;
}

/** Builds the services from an environment; `onTerminate` registers what must run when the worker stops. */
export function composeApp(env: Env, onTerminate: (flush: () => Promise<void>) => void): AppServices {
  const config = loadConfig(env);
  const logger = createLogger({ level: config.logLevel, name: 'event-source' });
  // Once per worker process, so an operator sees what is in effect (credentials and query of the sink redacted).
  logger.info({ config: redactedConfig(config) }, 'event source configuration');
  const validateScheduleFile = fileScheduleValidator({
    sinkAllowlist: config.sinkAllowlist,
    minIntervalMs: config.minIntervalMs,
    ...(config.envSchedule ? { envScheduleName: config.scheduleName } : {}),
  });
  if (config.schedulesFile !== undefined) checkSchedulesFileAtStart(config.schedulesFile, validateScheduleFile);

  const tracing = setupTracing({ env });
  if (tracing.exporting) {
    logger.info('traces are exported over OTLP');
    // The exporter sends in batches: at a stop, the spans of the last seconds go out before the worker ends.
    onTerminate(() => tracing.flush());
  }
  const metrics = eventSourceMetrics();
  const sinkBreaker = new SinkBreaker(config.sinkProbeIntervalMs);
  watchSinks(() => sinkBreaker.downTotals(Date.now()));
  const overload = new OverloadMonitor({ thresholdMs: config.lateTickThresholdMs, intervalMs: config.overloadLogIntervalMs, logger });
  const deliverTick = createTickDelivery({ config, logger, metrics, overload, breaker: sinkBreaker });
  const originKey = originKeyFrom(originSecretFrom(env['AzureWebJobsStorage']));

  return {
    config,
    logger,
    originKey,
    metrics,
    sinkBreaker,
    overload,
    validateScheduleFile,
    deliverTick,
    scheduleStarter: new ScheduleStarter({ logger, originKey }),
  };
}

let services: AppServices | undefined;

/** The app's services, built from process.env on the first call (while the worker loads the functions). */
export function appServices(): AppServices {
  services ??= composeApp(process.env, (flush) => app.hook.appTerminate(flush));
  return services;
}
