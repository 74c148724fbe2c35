/**
 * The app's configuration, validated once when the worker loads the functions: a bad value throws a ConfigError
 * whose one-line message names the variable, and the host refuses to start.
 */
import { loadConfig, redactedConfig, type EventSourceConfig } from '../../eventsource/config.js';
import { createLogger } from '../../eventsource/logger.js';
import { originKeyFrom, originSecretFrom } from '../../eventsource/schedule-origin.js';
import type { ScheduleSpec } from '../../eventsource/schedule-state.js';

export const config: EventSourceConfig = loadConfig(process.env);

export const logger = createLogger({ level: config.logLevel, name: 'event-source' });

// Once per worker process, so an operator sees what is in effect (credentials and query of the sink redacted).
logger.info({ config: redactedConfig(config) }, 'event source configuration');

/** The part of the configuration the orchestration carries (replays never read the environment). */
export function scheduleSpec(c: EventSourceConfig = config): ScheduleSpec {
  return c.scheduleSpec;
}

/**
 * The key of the starter's origin marker (eventsource/schedule-origin.ts), derived from the storage account key in
 * AzureWebJobsStorage: a secret the app holds and a Durable API key holder does not.
 */
export const originKey: Buffer = originKeyFrom(originSecretFrom(process.env.AzureWebJobsStorage));
