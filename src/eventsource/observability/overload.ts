/**
 * Overload is never silent: ticks sent later than a threshold (LATE_TICK_THRESHOLD) or skipped by the catch-up and
 * overlap policies are logged as a warning, at most one line per schedule per interval (OVERLOAD_LOG_INTERVAL) however
 * many ticks it covers, and the health endpoint reports `degraded` while a schedule is behind.
 *
 * Times: `at` is the orchestration's time of the tick (the host's clock, virtual in tests), so the rate limit
 * follows the schedule's own time; `wallNow` only ages out schedules that stopped reporting (deleted, paused).
 * Degraded is not fatal: a slow sink must not make Kubernetes restart the pod.
 */
import type { Logger } from 'pino';

export interface TickObservation {
  /** Dispatch time minus scheduled time of a tick's first attempt (ms); absent for retries and manual/backfill ticks. */
  lateMs?: number;
  /** Ticks the schedule skipped since its last report. */
  skipped: number;
  /** The orchestration's time of the report (epoch ms). */
  at: number;
  /** The tick's scheduled time (epoch ms), when it is one of the schedule's own ticks. */
  scheduledAt?: number;
}

interface OverloadOptions {
  thresholdMs: number;
  intervalMs: number;
  logger: Pick<Logger, 'warn' | 'info'>;
  /** Wall clock (epoch ms), for ageing out schedules that stopped reporting. Default Date.now. */
  wallNow?: () => number;
  /**
   * When this process started (the orchestrations' clock, epoch ms; default wallNow() when constructed): a tick
   * scheduled before it was late, and the ticks skipped with it, because no process ran them (a restart), which is no
   * sign of overload.
   */
  startedAt?: number;
}

export interface Health {
  degraded: boolean;
  /** One line per schedule that is behind, e.g. `every-1s: 3 ticks late by up to 7.2 s, 0 skipped, since ...`. */
  reasons: string[];
}

interface Tally {
  late: number;
  maxLateMs: number;
  skipped: number;
}

interface Entry {
  /** The schedule is behind now: its last tick was late, or it skipped ticks and has not sent one on time since. */
  behind?: { since: number; tally: Tally };
  /** Late and skipped ticks not yet in a log line. */
  unlogged: Tally;
  lastLogAt?: number;
  wallAt: number;
}

const EMPTY: Tally = { late: 0, maxLateMs: 0, skipped: 0 };
/** A schedule that has not reported for this long (wall clock) no longer makes the host degraded. */
const STALE_AFTER_MS = 5 * 60_000;

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(ms < 10_000 ? 3 : 1))} s`;
}

function added(tally: Tally, lateMs: number | undefined, skipped: number): Tally {
  return {
    late: tally.late + (lateMs !== undefined ? 1 : 0),
    maxLateMs: Math.max(tally.maxLateMs, lateMs ?? 0),
    skipped: tally.skipped + skipped,
  };
}

function isEmpty(tally: Tally): boolean {
  return tally.late === 0 && tally.skipped === 0;
}

export class OverloadMonitor {
  private readonly entries = new Map<string, Entry>();
  private readonly wallNow: () => number;
  private readonly startedAt: number;

  constructor(private readonly options: OverloadOptions) {
    this.wallNow = options.wallNow ?? Date.now;
    this.startedAt = options.startedAt ?? this.wallNow();
  }

  /** A tick's report from the delivery activity. */
  observe(schedule: string, observation: TickObservation): void {
    const { at, skipped } = observation;
    if (observation.scheduledAt !== undefined && observation.scheduledAt < this.startedAt) return;
    const late = observation.lateMs !== undefined && observation.lateMs > this.options.thresholdMs ? observation.lateMs : undefined;
    const entry = this.entries.get(schedule) ?? { unlogged: EMPTY, wallAt: this.wallNow() };
    entry.wallAt = this.wallNow();
    if (late !== undefined || skipped > 0) {
      const behind = entry.behind ?? { since: at, tally: EMPTY };
      entry.behind = { since: behind.since, tally: added(behind.tally, late, skipped) };
      entry.unlogged = added(entry.unlogged, late, skipped);
    } else if (observation.lateMs !== undefined && entry.behind !== undefined) {
      // A tick on time again: the schedule caught up.
      delete entry.behind;
    }
    this.entries.set(schedule, entry);
    this.logIfDue(schedule, entry, at);
  }

  /** Degraded while some schedule is behind (and still reporting). */
  health(): Health {
    const reasons: string[] = [];
    const wall = this.wallNow();
    for (const [schedule, entry] of this.entries) {
      if (entry.behind === undefined) continue;
      if (wall - entry.wallAt > Math.max(STALE_AFTER_MS, this.options.intervalMs)) {
        this.entries.delete(schedule);
        continue;
      }
      const { tally, since } = entry.behind;
      const late = tally.late > 0 ? `${tally.late} tick(s) late by up to ${seconds(tally.maxLateMs)}` : 'no tick late';
      reasons.push(`${schedule}: ${late}, ${tally.skipped} skipped, since ${new Date(since).toISOString()}`);
    }
    return { degraded: reasons.length > 0, reasons };
  }

  /** One line per interval at most: what came since the last line (said even when the schedule is on time again). */
  private logIfDue(schedule: string, entry: Entry, at: number): void {
    if (isEmpty(entry.unlogged)) {
      if (entry.behind === undefined && (entry.lastLogAt === undefined || at - entry.lastLogAt >= this.options.intervalMs)) {
        this.entries.delete(schedule);
      }
      return;
    }
    if (entry.lastLogAt !== undefined && at - entry.lastLogAt < this.options.intervalMs) return;
    const { late, maxLateMs, skipped } = entry.unlogged;
    const window = entry.lastLogAt === undefined ? '' : ` in the last ${seconds(at - entry.lastLogAt)}`;
    const state = entry.behind === undefined ? '; on time again' : '';
    const parts = [
      ...(late > 0 ? [`${late} tick(s) sent late, up to ${seconds(maxLateMs)} after their time (threshold ${seconds(this.options.thresholdMs)})`] : []),
      ...(skipped > 0 ? [`${skipped} tick(s) skipped`] : []),
    ];
    this.options.logger.warn(
      { schedule, lateTicks: late, maxLateMs, skippedTicks: skipped, thresholdMs: this.options.thresholdMs },
      `schedule ${schedule} is falling behind: ${parts.join(', ')}${window}${state}`,
    );
    entry.unlogged = EMPTY;
    entry.lastLogAt = at;
  }
}
