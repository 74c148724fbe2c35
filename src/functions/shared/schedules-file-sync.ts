/**
 * SCHEDULES_FILE kept in step with the schedules that run: at start, hourly with the starter, and whenever the file
 * changes. Only schedules whose origin marker says `file` are started, changed or stopped from here; a name held by
 * a schedule created through the management API is left to it (logged). A file that turns bad later is logged on
 * one line and the running schedules stay as they are. A reconcile that did not finish (storage unavailable, an
 * action refused) is tried again soon, with back-off, not only at the next hourly run.
 */
import type { DurableClient } from 'durable-functions';
import { backoffMs } from '../../eventsource/core/backoff.js';
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

/** Back-off of the next try after a reconcile that did not finish: 1 s, doubling, at most a minute. */
const RETRY_BACKOFF = { firstMs: 1_000, maxMs: 60_000 };

/** Some actions of a reconcile failed (each was logged); the reconcile is tried again. */
class ActionsFailed extends Error {
  constructor(failed: number, of: number) {
    super(`${failed} of ${of} actions failed`);
  }
}

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
  readonly starter: ScheduleStarter;
}

/** SCHEDULES_FILE kept in step with the schedules that run (one per worker process: it holds the last read and the watch). */
export class SchedulesFileSync {
  private previous: readonly FileSchedule[] | undefined;
  private watching: SchedulesFileWatch | undefined;
  private running: Promise<void> = Promise.resolve();
  private retry: { timer: NodeJS.Timeout; failures: number } | undefined;
  private closed = false;

  constructor(private readonly deps: SchedulesFileSyncDeps) {}

  /**
   * Reconciles the file now (the starter's runs) and, the first time, starts watching it. A reconcile that does not
   * finish is logged and tried again on its own (retrySoon), so this never fails for it. The file is read now, also
   * the first time: the read that validated it at load time may be stale by then (a start-up that retried for
   * seconds), and reconciling it would stop what the file names since (seed 60008351).
   */
  async sync(client: DurableClient): Promise<void> {
    const { file, validate } = this.deps;
    const read = await readSchedulesFile(file, validate);
    await this.reconcileOrRetry(client, read, true);
    if (this.closed) return;
    this.watching ??= watchSchedulesFile(file, validate, (changed) => void this.reconcileOrRetry(client, changed, false), { since: read });
  }

  /** Stops the watch and any retry (the host is stopping: nothing of this app may act after it). */
  close(): void {
    this.closed = true;
    this.watching?.close();
    this.watching = undefined;
    if (this.retry) clearTimeout(this.retry.timer);
  }

  /**
   * Reconciles; a failure is logged and the whole file reconciled again after a back-off (unref'd: it never keeps a
   * stopping host alive). Any reconcile that starts ends the pending retry; a success resets the back-off.
   */
  private async reconcileOrRetry(client: DurableClient, read: FileRead<FileSchedule>, full: boolean): Promise<void> {
    if (this.closed) return;
    if (this.retry) clearTimeout(this.retry.timer);
    try {
      await this.reconcileWith(client, read, full);
      this.retry = undefined;
    } catch (error) {
      this.retrySoon(client, error);
    }
  }

  private retrySoon(client: DurableClient, error: unknown): void {
    if (this.closed) return;
    const { file, validate, logger } = this.deps;
    const failures = (this.retry?.failures ?? 0) + 1;
    const retryInMs = backoffMs(failures, RETRY_BACKOFF);
    logger.error({ file, reason: reasonOf(error), retryInMs }, 'schedules file: reconciling failed; trying again');
    const timer = setTimeout(() => {
      readSchedulesFile(file, validate)
        .then((read) => this.reconcileOrRetry(client, read, true))
        .catch((readError: unknown) => this.retrySoon(client, readError));
    }, retryInMs).unref();
    this.retry = { timer, failures };
  }

  /**
   * Brings the schedules in line with a read of the file; reconciles run one after another. `full`: every entry is
   * looked at (the starter's runs: a file schedule terminated by hand starts again); otherwise only what changed in
   * the file since the last reconcile (a change the watcher saw). The read counts as applied only when every action
   * succeeded, so a later change's reconcile still carries what failed.
   */
  private reconcileWith(client: DurableClient, read: FileRead<FileSchedule>, full: boolean): Promise<void> {
    const { logger, file, originKey } = this.deps;
    const step = this.running.then(async () => {
      if (!read.ok) {
        logger.error({ file, problems: read.problems }, `schedules file not applied, the running schedules stay as they are: ${read.problems[0] ?? 'invalid'}`);
        return;
      }
      const actions = planFileReconcile(full ? undefined : this.previous, read.entries, await existingSchedules(originKey, client));
      const failed = await this.applyAll(client, actions);
      if (failed > 0) throw new ActionsFailed(failed, actions.length);
      this.previous = read.entries;
      logger.info({ file, schedules: read.entries.length, actions: actions.length }, 'schedules file reconciled');
    });
    // A failed reconcile is the caller's to report; the next one still runs.
    this.running = step.catch(() => undefined);
    return step;
  }

  /** Runs the actions, PARALLEL at a time; one failing action is logged and does not stop the others. How many failed. */
  private async applyAll(client: DurableClient, actions: FileAction<FileSchedule>[]): Promise<number> {
    let next = 0;
    let failed = 0;
    const worker = async (): Promise<void> => {
      for (let action = actions[next++]; action !== undefined; action = actions[next++]) {
        try {
          await this.apply(client, action);
        } catch (error) {
          failed++;
          const name = 'entry' in action ? action.entry.name : action.name;
          this.deps.logger.error({ schedule: name, action: action.action, reason: reasonOf(error) }, 'schedules file: an action failed');
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL, actions.length) }, worker));
    return failed;
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
          throw new Error('the schedule was started again while it was being removed');
        }
        logChange(logger, { schedule: action.name, operation: 'delete', by: 'file' });
        return;
      case 'skip':
        logger.warn({ schedule: action.name }, action.problem);
    }
  }
}
