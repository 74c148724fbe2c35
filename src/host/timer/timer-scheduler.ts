import type { Logger } from 'pino';
import { resolveAppSettings } from '../app-settings.js';
import type { Clock } from '../../durable/index.js';
import { HostError } from '../host-error.js';
import type { AppInvoker } from '../worker/app-invoker.js';
import type { RegisteredFunction } from '../worker/worker-app.js';
import { parseTimerSchedule, type TimerSchedule } from './timer-schedule.js';

/** An invocation this much later than its scheduled time is reported as past due. */
const PAST_DUE_TOLERANCE_MS = 1_000;

export interface TimerSchedulerOptions {
  invoker: AppInvoker;
  clock: Clock;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
}

interface TimerState {
  fn: RegisteredFunction;
  schedule: TimerSchedule;
  runOnStartup: boolean;
  last: Date | undefined;
  cancel: (() => void) | undefined;
  running: Promise<void> | undefined;
}

/**
 * Fires the app's timer triggers on the injected clock. One invocation of a timer at a time (like the host's
 * singleton lock): the next occurrence is armed after the current one finishes, so missed ones are skipped,
 * not queued. A failing invocation is logged; it never stops the timer or the host.
 */
export class TimerScheduler {
  private readonly timers: TimerState[];
  private stopped = false;

  constructor(functions: RegisteredFunction[], private readonly options: TimerSchedulerOptions) {
    const env = options.env ?? process.env;
    const timezone = env.WEBSITE_TIME_ZONE || 'UTC';
    this.timers = functions.map((fn) => {
      const raw = fn.trigger.schedule;
      if (typeof raw !== 'string' || raw.trim() === '') {
        throw new HostError('BAD_SCHEDULE', `function "${fn.name}": timer trigger has no schedule`);
      }
      const expression = resolveAppSettings(raw, `function "${fn.name}" schedule`, env);
      return {
        fn,
        schedule: parseTimerSchedule(expression, fn.name, timezone),
        runOnStartup: fn.trigger.runOnStartup === true,
        last: undefined,
        cancel: undefined,
        running: undefined,
      };
    });
  }

  /** Names and next due times (epoch ms), for logs and tests. */
  describe(): { name: string; schedule: string; runOnStartup: boolean }[] {
    return this.timers.map((t) => ({ name: t.fn.name, schedule: t.schedule.expression, runOnStartup: t.runOnStartup }));
  }

  start(): void {
    const now = this.options.clock.now();
    for (const timer of this.timers) {
      if (timer.runOnStartup) this.arm(timer, now, true);
      else this.arm(timer, timer.schedule.nextAfter(now), false);
    }
  }

  /** Stops arming timers and waits for running invocations. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) {
      timer.cancel?.();
      timer.cancel = undefined;
    }
    await Promise.allSettled(this.timers.map((t) => t.running ?? Promise.resolve()));
  }

  private arm(timer: TimerState, at: number, startup: boolean): void {
    if (this.stopped) return;
    timer.cancel = this.options.clock.at(at, () => {
      timer.cancel = undefined;
      timer.running = this.fire(timer, at, startup).finally(() => {
        timer.running = undefined;
      });
    });
  }

  private async fire(timer: TimerState, scheduledAt: number, startup: boolean): Promise<void> {
    if (this.stopped) return;
    const { clock, invoker, logger } = this.options;
    const now = clock.now();
    const next = timer.schedule.nextAfter(Math.max(now, scheduledAt));
    const isPastDue = !startup && now - scheduledAt > PAST_DUE_TOLERANCE_MS;
    try {
      await invoker.invokeTimer(timer.fn, { isPastDue, last: timer.last, next: new Date(next), lastUpdated: new Date(now) });
    } catch (err) {
      logger.error({ function: timer.fn.name, err }, `timer function "${timer.fn.name}" failed`);
    }
    timer.last = new Date(scheduledAt);
    const after = Math.max(clock.now(), scheduledAt);
    this.arm(timer, timer.schedule.nextAfter(after), false);
  }
}
