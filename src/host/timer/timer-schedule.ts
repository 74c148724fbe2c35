import { Cron } from 'croner';
import { HostError } from '../host-error.js';

/** When a timer trigger fires next: NCRONTAB (6 fields with seconds, or 5) or a TimeSpan interval `[d.]hh:mm:ss`. */
export interface TimerSchedule {
  readonly expression: string;
  /** The first occurrence strictly after `after` (epoch ms). */
  nextAfter(after: number): number;
}

const TIMESPAN = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})$/;

export function parseTimerSchedule(expression: string, functionName: string, timezone = 'UTC'): TimerSchedule {
  const trimmed = expression.trim();
  const span = TIMESPAN.exec(trimmed);
  if (span) {
    const [, d = '0', h = '0', m = '0', s = '0'] = span;
    const interval = (((Number(d) * 24 + Number(h)) * 60 + Number(m)) * 60 + Number(s)) * 1000;
    if (interval <= 0) throw new HostError('BAD_SCHEDULE', `function "${functionName}": schedule "${expression}" is a zero interval`);
    return { expression: trimmed, nextAfter: (after) => after + interval };
  }
  let cron: Cron;
  try {
    cron = new Cron(trimmed, { paused: true, timezone, mode: '5-or-6-parts' });
  } catch (err) {
    throw new HostError(
      'BAD_SCHEDULE',
      `function "${functionName}": schedule "${expression}" is not a valid NCRONTAB expression ({second} {minute} {hour} {day} {month} {day-of-week}): ${(err as Error).message}`,
    );
  }
  return {
    expression: trimmed,
    nextAfter(after: number): number {
      const next = cron.nextRun(new Date(after));
      if (!next) throw new HostError('BAD_SCHEDULE', `function "${functionName}": schedule "${expression}" never fires again`);
      return next.getTime();
    },
  };
}
