/**
 * Makes sure the configured schedules run: at host start (runOnStartup) and hourly after that. The environment's
 * SCHEDULE is the schedule SCHEDULE_NAME; SCHEDULES_FILE's entries are reconciled too, and the file is watched from
 * the first run on (shared/schedules-file-sync.ts). Every start goes through shared/start-schedule.ts.
 */
import { app, type InvocationContext, type Timer } from '@azure/functions';
import * as df from 'durable-functions';
import type { DurableClient } from 'durable-functions';
import { backoffMs } from '../eventsource/core/backoff.js';
import { redactUrlsIn } from '../eventsource/core/redact.js';
import { appServices } from './app-root.js';
import { SchedulesFileSync } from './shared/schedules-file-sync.js';

// Taken while the worker loads the functions: a bad configuration stops the start.
const { config, logger, originKey, scheduleStarter, validateScheduleFile } = appServices();

/** SCHEDULES_FILE kept in step (absent without one). */
const fileSync =
  config.schedulesFile === undefined
    ? undefined
    : new SchedulesFileSync({
        logger,
        originKey,
        file: config.schedulesFile,
        validate: validateScheduleFile,
        starter: scheduleStarter,
      });

const ATTEMPTS = 5;
/** Between the attempts: 1 s, doubling (the fourth and last pause is 8 s). */
const RETRY_BACKOFF = { firstMs: 1_000, maxMs: 8_000 };

/** Unref'd: a retry's back-off never keeps a stopping worker alive. */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** The host is stopping (appTerminate): the retries end, and the file's watch and retries with them. */
let terminating = false;
app.hook.appTerminate(() => {
  terminating = true;
  fileSync?.close();
});

async function ensureOnce(client: DurableClient): Promise<void> {
  if (config.envSchedule) {
    const result = await scheduleStarter.ensureRuns(client, { name: config.scheduleName, spec: config.scheduleSpec, kind: 'env' });
    if (result.outcome === 'recheck') recheckLater(client, result.afterMs);
  }
  await fileSync?.sync(client);
}

/** One more look, outside the hourly rhythm (unref'd: it never keeps a stopping host alive). */
function recheckLater(client: DurableClient, afterMs: number): void {
  setTimeout(() => {
    ensureSchedule(client).catch((error: unknown) => {
      logger.error({ schedule: config.scheduleName, reason: redactUrlsIn(error instanceof Error ? error.message : String(error)) }, 'looking at the schedule again failed; the hourly run tries again');
    });
  }, afterMs).unref();
}

/** Makes sure the schedules run; storage or host hiccups at start-up are retried rather than waiting an hour. */
async function ensureSchedule(client: DurableClient): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await ensureOnce(client);
      return;
    } catch (error) {
      if (attempt >= ATTEMPTS || terminating) throw error;
      const delay = backoffMs(attempt, RETRY_BACKOFF);
      logger.warn({ attempt, retryInMs: delay, reason: redactUrlsIn(error instanceof Error ? error.message : String(error)) }, 'making sure the schedules run failed; retrying');
      await sleep(delay);
    }
  }
}

app.timer('scheduleStarter', {
  schedule: '0 0 * * * *',
  runOnStartup: true,
  extraInputs: [df.input.durableClient()],
  handler: async (_timer: Timer, context: InvocationContext): Promise<void> => {
    await ensureSchedule(df.getClient(context));
  },
});
