/**
 * The app's configuration, validated once when the worker loads the functions: a bad value throws a ConfigError
 * whose one-line message names the variable, and the host refuses to start.
 */
import { readFileSync } from 'node:fs';
import { loadConfig, redactedConfig, type EventSourceConfig } from '../../eventsource/config/config.js';
import { ConfigError } from '../../eventsource/core/errors.js';
import { fileScheduleValidator, type FileSchedule } from '../../eventsource/schedules-file/entries.js';
import { MAX_FILE_BYTES, parseSchedulesText, type FileRead, type Validate } from '../../eventsource/schedules-file/file.js';
import { createLogger } from '../../eventsource/observability/logger.js';
import { originKeyFrom, originSecretFrom } from '../../eventsource/core/schedule-origin.js';
import type { ScheduleSpec } from '../../eventsource/core/schedule-state.js';

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

/** The schema of the schedules file's entries under this configuration. */
export const validateScheduleFile: Validate<FileSchedule> = fileScheduleValidator({
  sinkAllowlist: config.sinkAllowlist,
  minIntervalMs: config.minIntervalMs,
  ...(config.envSchedule ? { envScheduleName: config.scheduleName } : {}),
});

/**
 * SCHEDULES_FILE as read when the worker loads: a file that cannot be read or holds a bad entry stops the start with
 * one line naming the file, the entry and the field (the first problem; the count of the others).
 */
function readSchedulesFileAtStart(path: string): FileRead<FileSchedule> {
  let text: string;
  try {
    const bytes = readFileSync(path);
    if (bytes.length > MAX_FILE_BYTES) throw new Error(`the file has ${bytes.length} bytes, more than the ${MAX_FILE_BYTES} allowed`);
    text = bytes.toString('utf8');
  } catch (error) {
    throw new ConfigError('SCHEDULES_FILE', `${path}: cannot be read (${error instanceof Error ? error.message : String(error)})`);
  }
  const read = parseSchedulesText(text, validateScheduleFile);
  if (!read.ok) {
    const more = read.problems.length > 1 ? ` (and ${read.problems.length - 1} more problem(s))` : '';
    throw new ConfigError('SCHEDULES_FILE', `${path}: ${read.problems[0] ?? 'invalid'}${more}`);
  }
  return { ...read, text };
}

export const schedulesFileAtStart: FileRead<FileSchedule> | undefined =
  config.schedulesFile === undefined ? undefined : readSchedulesFileAtStart(config.schedulesFile);
