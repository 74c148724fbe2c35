/**
 * The dashboard's pure logic (runs in the browser, tested in Node): what the management API says about a schedule,
 * turned into what the page shows (a tick's class and lateness, the skipped ticks between two recent ones, a
 * schedule's spec in one line, durations and instants for people). No DOM here, so the unit tests import it as is.
 */

// The describe view's shapes, as the schedule state defines them (type-only: erased, so the browser loads nothing).
import type { Counters, LastDelivery, Outcome, RecentDelivery } from '../../eventsource/core/schedule-state.js';

export type { Counters, LastDelivery, Outcome };
/** One entry of a schedule's `recent` (the describe view), newest first in the API's answer. */
export type Tick = RecentDelivery;

/** The trigger in the definition's own fields, as the list shows it and as describe's `spec` has it. */
export interface TriggerView {
  every?: string;
  offset?: string;
  cron?: string;
  timezone?: string;
  at?: string;
}

/** The spec as the describe view shows it (the definition's own shape); only the fields the page reads. */
export interface SpecView extends TriggerView {
  note?: string;
}

/** What both answers show; `status` is the state a schedule is in (running, paused, failed, completed, ...). */
interface ScheduleHead {
  name: string;
  status: string;
  origin?: string;
  nextFireTime?: string;
  nextSequence?: number;
  counters?: Counters;
  paused?: { note: string; since: string };
}

/** One schedule of `GET /api/schedules` (a summary); only the fields the page reads. */
export interface ScheduleSummary extends ScheduleHead, TriggerView {
  lastDelivery?: Pick<LastDelivery, 'sequence' | 'outcome' | 'scheduledTime' | 'status'>;
}

/** A schedule as `GET /api/schedules/{name}` describes it; only the fields the page reads. */
export interface ScheduleDetail extends ScheduleHead {
  spec?: SpecView;
  lastDelivery?: LastDelivery;
  recent?: Tick[];
  upcoming?: string[];
  queued?: number;
}

/** What colour a tick gets: its outcome, with a delivered tick sent later than the threshold shown as late. */
export type TickClass = 'onTime' | 'late' | 'failed' | 'rejected' | 'deadLettered';

/** A delivered tick sent more than this after its scheduled time is late (retries, a busy host, a slow sink). */
export const LATE_AFTER_MS = 1_000;

/** sent − scheduled in milliseconds (negative never happens for a tick, but the page does not rely on it). */
export function latenessMs(tick: Pick<Tick, 'scheduledTime' | 'sentTime'>): number {
  return Date.parse(tick.sentTime) - Date.parse(tick.scheduledTime);
}

/**
 * How late the schedule was with a tick: sent − scheduled for its own ticks; undefined for a backfilled or triggered
 * event, which went out when someone asked for it (a backfill of last week is not a week late).
 */
export function lateByMs(tick: Pick<Tick, 'scheduledTime' | 'sentTime' | 'trigger'>): number | undefined {
  return tick.trigger === undefined ? latenessMs(tick) : undefined;
}

export function classifyTick(tick: Pick<Tick, 'scheduledTime' | 'sentTime' | 'outcome' | 'trigger'>, lateAfterMs = LATE_AFTER_MS): TickClass {
  if (tick.outcome !== 'delivered') return tick.outcome;
  return (lateByMs(tick) ?? 0) > lateAfterMs ? 'late' : 'onTime';
}

export const CLASS_LABELS: Record<TickClass | 'skipped', string> = {
  onTime: 'delivered',
  late: 'late',
  failed: 'failed',
  rejected: 'rejected',
  deadLettered: 'dead-lettered',
  skipped: 'skipped',
};

const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** A duration as the describe view writes it (`500ms`, `10s`, `1m30s`, `1d2h`); undefined when it is not one. */
export function parseDurationMs(text: string): number | undefined {
  const trimmed = text.trim();
  if (!/^(\d+(\.\d+)?(ms|d|h|m|s))+$/.test(trimmed)) return undefined;
  let total = 0;
  for (const m of trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|d|h|m|s)/g)) total += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  // `4.005s` is 4.005 × 1000 = 4004.999…: the view writes whole milliseconds.
  return Math.round(total);
}

/** A skipped fire time the page can place: between two in-order ticks of an interval schedule, where a tick is missing. */
export interface SkippedTick {
  scheduledTime: number;
}

/**
 * The fire times missing between the in-order ticks of `recent` (skipped ticks leave no entry, only a counter). Only
 * an interval schedule's grid is known here; a cron schedule's gaps are left to the `skipped` counter. At most
 * `limit` are returned (a long outage is one gap of thousands).
 */
export function skippedTicks(recent: readonly Tick[], spec: SpecView | undefined, limit = 50): SkippedTick[] {
  const everyMs = spec?.every === undefined ? undefined : parseDurationMs(spec.every);
  if (everyMs === undefined || everyMs <= 0) return [];
  const inOrder = recent
    .filter((t) => t.trigger === undefined && t.sequence > 0)
    .map((t) => Date.parse(t.scheduledTime))
    .filter((t) => Number.isFinite(t))
    .sort((a, b) => a - b);
  const out: SkippedTick[] = [];
  for (let i = 1; i < inOrder.length && out.length < limit; i++) {
    const from = inOrder[i - 1] as number;
    const to = inOrder[i] as number;
    // A retried tick keeps its time; the next one is one interval later. Anything more is a gap.
    for (let t = from + everyMs; t < to - everyMs / 2 && out.length < limit; t += everyMs) out.push({ scheduledTime: t });
  }
  return out;
}

/** The trigger in one line: `every 5s`, `every 1m (offset 10s)`, `cron 0 30 2 * * * Europe/Berlin`, `at 2030-…`. */
export function specText(trigger: TriggerView | undefined): string {
  if (trigger?.every !== undefined) return trigger.offset && !/^0[a-z]*$/.test(trigger.offset) ? `every ${trigger.every} (offset ${trigger.offset})` : `every ${trigger.every}`;
  if (trigger?.cron !== undefined) return `cron ${trigger.cron} ${trigger.timezone ?? 'UTC'}`;
  if (trigger?.at !== undefined) return `at ${trigger.at}`;
  return '—';
}

/** A duration for people: `0 ms`, `850 ms`, `1.25 s`, `42 s`, `3 min 5 s`, `2 h 10 min`, `3 d 4 h`. */
export function formatDuration(ms: number): string {
  const sign = ms < 0 ? '−' : '';
  const a = Math.abs(ms);
  if (a < 1_000) return `${sign}${Math.round(a)} ms`;
  if (a < 10_000) return `${sign}${(a / 1_000).toFixed(2)} s`;
  if (a < 60_000) return `${sign}${Math.round(a / 1_000)} s`;
  const parts = (big: number, bigUnit: string, small: number, smallUnit: string): string =>
    `${sign}${Math.floor(a / big)} ${bigUnit}${Math.floor((a % big) / small) ? ` ${Math.floor((a % big) / small)} ${smallUnit}` : ''}`;
  if (a < 3_600_000) return parts(60_000, 'min', 1_000, 's');
  if (a < 86_400_000) return parts(3_600_000, 'h', 60_000, 'min');
  return parts(86_400_000, 'd', 3_600_000, 'h');
}

/** An instant relative to now: `in 4.00 s`, `12 s ago`, `now`. */
export function relativeTime(iso: string, nowMs: number): string {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return '—';
  const d = t - nowMs;
  if (Math.abs(d) < 500) return 'now';
  return d > 0 ? `in ${formatDuration(d)}` : `${formatDuration(-d)} ago`;
}

/** An instant as UTC time of day with milliseconds (`12:00:01.250`), the date too when it is not today's. */
export function clockTime(iso: string, nowMs: number): string {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return '—';
  const text = new Date(t).toISOString();
  const sameDay = text.slice(0, 10) === new Date(nowMs).toISOString().slice(0, 10);
  return sameDay ? text.slice(11, 23) : `${text.slice(0, 10)} ${text.slice(11, 23)}`;
}

/**
 * The recent ticks oldest first, as the timeline and the lateness chart draw them; an entry whose times do not parse
 * (not something the API writes, but the page draws whatever it is given) is left out rather than drawn at NaN.
 */
export function chronological(recent: readonly Tick[]): Tick[] {
  const placeable = recent.filter((t) => Number.isFinite(Date.parse(t.scheduledTime)) && Number.isFinite(Date.parse(t.sentTime)));
  return placeable.sort((a, b) => Date.parse(a.sentTime) - Date.parse(b.sentTime));
}
