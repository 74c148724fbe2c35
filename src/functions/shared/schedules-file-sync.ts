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
import type { Logger } from '../../eventsource/observability/logger.js';
import type { FileSchedule } from '../../eventsource/schedules-file/entries.js';
import { planFileReconcile, readSchedulesFile, type ExistingSchedule, type FileAction, type FileRead, type Validate } from '../../eventsource/schedules-file/file.js';
import { watchSchedulesFile, type SchedulesFileWatch } from '../../eventsource/schedules-file/watch.js';
import { ORCHESTRATOR, scheduleNameOf } from './names.js';
import { logChange, type ChangeOperation } from './change-log.js';
import type { EnsureOutcome, ScheduleStarter } from './start-schedule.js';
import { stopSchedule } from './stop-schedule.js';

/** Schedules changed at once: enough to start 1,000 quickly, few enough not to flood the task hub. */
const PARALLEL = 8;

/** The schedules of the task hub that the file or the API created (by their markers, checked with `originKey`). */
async function existingSchedules(originKey: Buffer, client: DurableClient): Promise<ExistingSchedule<FileSchedule>[]> {
  const all = await client.getStatusAll();
  const result: ExistingSchedule<FileSchedule>[] = [];
  for (const instance of all) {
    const name = instance.name === ORCHESTRATOR ? scheduleNameOf(instance.instanceId) : undefined;
    const status = name === undefined ? undefined : asScheduleStatus(instance.customStatus);
    if (name === undefined || status === undefined || status.name !== name) continue;
    const origin = originKindOf(originKey, name, status.generation, status.origin);
    if (origin === 'file' || origin === 'api') result.push({ name, origin });
  }
  return result;
}

/** What a reconcile of one entry changed, by what the starter did (nothing: the schedule already ran so). */
const CHANGED_BY: Partial<Record<EnsureOutcome['outcome'], ChangeOperation>> = {
  started: 'create', 'new-generation': 'create', restarted: 'create', rescheduled: 'replace', 'not-confirmed': 'replace',
};

const reasonOf = (error: unknown): string => redactUrlsIn(error instanceof Error ? error.message : String(error));

/** What a SchedulesFileSync needs. */
export interface SchedulesFileSyncDeps {
  readonly logger: Logger;
  readonly originKey: Buffer;
  /** SCHEDULES_FILE. */
  readonly file: string;
  /** The schema of the file's entries under this configuration. */
  readonly validate: Validate<FileSchedule>;
  /** The file as read at start, used by the first reconcile (a later one reads it again). */
  readonly atStart?: FileRead<FileSchedule>;
  readonly starter: ScheduleStarter;
}

/** SCHEDULES_FILE kept in step with the schedules that run (one per worker process: it holds the last read and the watch). */
export class SchedulesFileSync {
  private previous: readonly FileSchedule[] | undefined;
  private watching: SchedulesFileWatch | undefined;
  private running: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(private readonly deps: SchedulesFileSyncDeps) {}

  /** The host is stopping: the watch ends (it would go on reacting to the file through a stopped host) and none starts. */
  close(): void {
    this.closed = true;
    this.watching?.close();
    this.watching = undefined;
  }

  /** Reconciles the file now (the starter's runs) and, the first time, starts watching it. */
  async sync(client: DurableClient): Promise<void> {
    const { file, validate, atStart, logger } = this.deps;
    const read = this.watching || atStart === undefined ? await readSchedulesFile(file, validate) : atStart;
    await this.reconcileWith(client, read, true);
    if (this.closed) return;
    this.watching ??= watchSchedulesFile(file, validate, (changed) => {
      this.reconcileWith(client, changed, false).catch((error: unknown) => {
        logger.error({ file, reason: reasonOf(error) }, 'schedules file: reconciling a change failed; the hourly run tries again');
      });
    }, { since: read });
  }

  /**
   * Brings the schedules in line with a read of the file; reconciles run one after another. `full`: every entry is
   * looked at (the starter's runs: a file schedule terminated by hand starts again); otherwise only what changed in
   * the file since the last reconcile (a change the watcher saw).
   */
  private reconcileWith(client: DurableClient, read: FileRead<FileSchedule>, full: boolean): Promise<void> {
    const { logger, file, originKey } = this.deps;
    const step = this.running.then(async () => {
      if (!read.ok) {
        logger.error({ file, problems: read.problems }, `schedules file not applied, the running schedules stay as they are: ${read.problems[0] ?? 'invalid'}`);
        return;
      }
      const actions = planFileReconcile(full ? undefined : this.previous, read.entries, await existingSchedules(originKey, client));
      await this.applyAll(client, actions);
      this.previous = read.entries;
      logger.info({ file, schedules: read.entries.length, actions: actions.length }, 'schedules file reconciled');
    });
    // A failed reconcile is the caller's to report; the next one still runs.
    this.running = step.catch(() => undefined);
    return step;
  }

  /** Runs the actions, PARALLEL at a time; one failing action is logged and does not stop the others. */
  private async applyAll(client: DurableClient, actions: FileAction<FileSchedule>[]): Promise<void> {
    let next = 0;
    const worker = async (): Promise<void> => {
      for (let action = actions[next++]; action !== undefined; action = actions[next++]) {
        try {
          await this.apply(client, action);
        } catch (error) {
          const name = 'entry' in action ? action.entry.name : action.name;
          this.deps.logger.error({ schedule: name, action: action.action, reason: reasonOf(error) }, 'schedules file: an action failed; the next change or the hourly run tries again');
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL, actions.length) }, worker));
  }

  private async apply(client: DurableClient, action: FileAction<FileSchedule>): Promise<void> {
    const { logger, starter } = this.deps;
    switch (action.action) {
      case 'start':
      case 'update': {
        const { name, spec, stateSpec } = action.entry;
        const done = await starter.ensureRuns(client, { name, spec: stateSpec, kind: 'file' });
        const operation = CHANGED_BY[done.outcome];
        if (operation !== undefined) logChange(logger, { schedule: name, operation, by: 'file', ...(spec.note === undefined ? {} : { note: spec.note }) });
        return;
      }
      case 'stop':
        if ((await stopSchedule(client, action.name, 'removed from the schedules file')) === 'restarted') {
          logger.warn({ schedule: action.name }, 'schedules file: the schedule was started again while it was being removed; the next change or the hourly run tries again');
          return;
        }
        logChange(logger, { schedule: action.name, operation: 'delete', by: 'file' });
        return;
      case 'skip':
        logger.warn({ schedule: action.name }, action.problem);
    }
  }
}
