/**
 * SCHEDULES_FILE kept in step with the schedules that run: at start, hourly with the starter, and whenever the file
 * changes. Only schedules whose origin marker says `file` are started, changed or stopped from here; a name held by
 * a schedule created through the management API is left to it (logged). A file that turns bad later is logged on
 * one line and the running schedules stay as they are.
 */
import type { DurableClient } from 'durable-functions';
import { redactUrlsIn } from '../../eventsource/core/redact.js';
import { originKindOf } from '../../eventsource/core/schedule-origin.js';
import { asScheduleStatus } from '../../eventsource/core/schedule-schema.js';
import type { FileSchedule } from '../../eventsource/schedules-file/entries.js';
import { planFileReconcile, readSchedulesFile, type ExistingSchedule, type FileAction, type FileRead } from '../../eventsource/schedules-file/file.js';
import { watchSchedulesFile, type SchedulesFileWatch } from '../../eventsource/schedules-file/watch.js';
import { ORCHESTRATOR, scheduleNameOf } from './names.js';
import { appServices } from '../app-root.js';
import { logChange, type ChangeOperation } from './change-log.js';
import { ensureScheduleRuns, type EnsureOutcome } from './start-schedule.js';
import { stopSchedule } from './stop-schedule.js';

/** Schedules changed at once: enough to start 1,000 quickly, few enough not to flood the task hub. */
const PARALLEL = 8;

/** The schedules of the task hub that the file or the API created (by their markers). */
export async function existingSchedules(client: DurableClient): Promise<ExistingSchedule<FileSchedule>[]> {
  const all = await client.getStatusAll();
  const result: ExistingSchedule<FileSchedule>[] = [];
  for (const instance of all) {
    const name = instance.name === ORCHESTRATOR ? scheduleNameOf(instance.instanceId) : undefined;
    const status = name === undefined ? undefined : asScheduleStatus(instance.customStatus);
    if (name === undefined || status === undefined || status.name !== name) continue;
    const origin = originKindOf(appServices().originKey, name, status.generation, status.origin);
    if (origin === 'file' || origin === 'api') result.push({ name, origin });
  }
  return result;
}

/** What a reconcile of one entry changed, by what the starter did (nothing: the schedule already ran so). */
const CHANGED_BY: Partial<Record<EnsureOutcome['outcome'], ChangeOperation>> = {
  started: 'create', 'new-generation': 'create', restarted: 'create', rescheduled: 'replace', 'not-confirmed': 'replace',
};

async function apply(client: DurableClient, action: FileAction<FileSchedule>): Promise<void> {
  switch (action.action) {
    case 'start':
    case 'update': {
      const { name, spec, stateSpec } = action.entry;
      const done = await ensureScheduleRuns(client, { name, spec: stateSpec, kind: 'file' });
      const operation = CHANGED_BY[done.outcome];
      if (operation !== undefined) logChange({ schedule: name, operation, by: 'file', ...(spec.note === undefined ? {} : { note: spec.note }) });
      return;
    }
    case 'stop':
      if ((await stopSchedule(client, action.name, 'removed from the schedules file')) === 'restarted') {
        appServices().logger.warn({ schedule: action.name }, 'schedules file: the schedule was started again while it was being removed; the next change or the hourly run tries again');
        return;
      }
      logChange({ schedule: action.name, operation: 'delete', by: 'file' });
      return;
    case 'skip':
      appServices().logger.warn({ schedule: action.name }, action.problem);
  }
}

/** Runs the actions, PARALLEL at a time; one failing action is logged and does not stop the others. */
async function applyAll(client: DurableClient, actions: FileAction<FileSchedule>[]): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let action = actions[next++]; action !== undefined; action = actions[next++]) {
      try {
        await apply(client, action);
      } catch (error) {
        const name = 'entry' in action ? action.entry.name : action.name;
        appServices().logger.error({ schedule: name, action: action.action, reason: redactUrlsIn(error instanceof Error ? error.message : String(error)) }, 'schedules file: an action failed; the next change or the hourly run tries again');
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, actions.length) }, worker));
}

let previous: readonly FileSchedule[] | undefined;
let watching: SchedulesFileWatch | undefined;
let running: Promise<void> = Promise.resolve();

/**
 * Brings the schedules in line with a read of the file; reconciles run one after another. `full`: every entry is
 * looked at (the starter's runs: a file schedule terminated by hand starts again); otherwise only what changed in
 * the file since the last reconcile (a change the watcher saw).
 */
function reconcileWith(client: DurableClient, read: FileRead<FileSchedule>, full: boolean): Promise<void> {
  const step = running.then(async () => {
    if (!read.ok) {
      appServices().logger.error({ file: appServices().config.schedulesFile, problems: read.problems }, `schedules file not applied, the running schedules stay as they are: ${read.problems[0] ?? 'invalid'}`);
      return;
    }
    const actions = planFileReconcile(full ? undefined : previous, read.entries, await existingSchedules(client));
    await applyAll(client, actions);
    previous = read.entries;
    appServices().logger.info({ file: appServices().config.schedulesFile, schedules: read.entries.length, actions: actions.length }, 'schedules file reconciled');
  });
  // A failed reconcile is the caller's to report; the next one still runs.
  running = step.catch(() => undefined);
  return step;
}

/** Reconciles the file now (the starter's runs) and, the first time, starts watching it. */
export async function syncSchedulesFile(client: DurableClient): Promise<void> {
  const path = appServices().config.schedulesFile;
  if (path === undefined) return;
  const read = watching ? await readSchedulesFile(path, appServices().validateScheduleFile) : appServices().schedulesFileAtStart ?? (await readSchedulesFile(path, appServices().validateScheduleFile));
  await reconcileWith(client, read, true);
  watching ??= watchSchedulesFile(path, appServices().validateScheduleFile, (changed) => {
    reconcileWith(client, changed, false).catch((error: unknown) => {
      appServices().logger.error({ file: path, reason: redactUrlsIn(error instanceof Error ? error.message : String(error)) }, 'schedules file: reconciling a change failed; the hourly run tries again');
    });
  }, { since: read });
}
