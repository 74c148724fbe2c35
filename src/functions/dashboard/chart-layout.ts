/**
 * Where the dashboard's two charts put things, as numbers (no DOM, so it is unit-tested): the timeline (each recent
 * tick's scheduled time on the upper lane, its send time on the lower one, a line between them whose slant is the
 * lateness) and the lateness chart (one bar per tick on a log scale from 1 ms to 60 s, the range of the lateness
 * histogram the metrics export).
 */
import { chronological, classifyTick, lateByMs, type SkippedTick, type Tick, type TickClass } from './ticks.js';

export interface TimelineMark {
  tick: Tick;
  cls: TickClass;
  xScheduled: number;
  xSent: number;
}

export interface TimelineLayout {
  width: number;
  startMs: number;
  endMs: number;
  marks: TimelineMark[];
  skipped: number[];
  /** x of the next fire time when it lies within the drawn span. */
  next?: number;
  /** x of now. */
  now: number;
}

/** Left and right margins of the timeline, so that marks at either end are drawn whole. */
export const TIMELINE_PAD = 12;

export function timelineLayout(recent: readonly Tick[], skipped: readonly SkippedTick[], nextFireTime: string | undefined, nowMs: number, width: number): TimelineLayout {
  const ticks = chronological(recent);
  const times = [
    ...ticks.flatMap((t) => [Date.parse(t.scheduledTime), Date.parse(t.sentTime)]),
    ...skipped.map((s) => s.scheduledTime),
    nowMs,
  ].filter((t) => Number.isFinite(t));
  const next = nextFireTime === undefined ? undefined : Date.parse(nextFireTime);
  let startMs = Math.min(...times);
  let endMs = Math.max(...times);
  // The next fire time is drawn when it is near (within a third of the span): a far one would squash the ticks.
  const span = Math.max(endMs - startMs, 1_000);
  if (next !== undefined && Number.isFinite(next) && next > endMs && next - endMs <= span / 3) endMs = next;
  if (endMs - startMs < 1_000) startMs = endMs - 1_000;
  const x = (t: number): number => TIMELINE_PAD + ((t - startMs) / (endMs - startMs)) * (width - 2 * TIMELINE_PAD);
  const layout: TimelineLayout = {
    width,
    startMs,
    endMs,
    marks: ticks.map((tick) => ({ tick, cls: classifyTick(tick), xScheduled: x(Date.parse(tick.scheduledTime)), xSent: x(Date.parse(tick.sentTime)) })),
    skipped: skipped.map((s) => x(s.scheduledTime)),
    now: x(nowMs),
  };
  if (next !== undefined && next <= endMs && next >= startMs) layout.next = x(next);
  return layout;
}

/** The lateness scale: 1 ms at the bottom, 60 s at the top, logarithmic. */
export const LATENESS_MIN_MS = 1;
export const LATENESS_MAX_MS = 60_000;
export const LATENESS_GRID_MS = [1, 10, 100, 1_000, 10_000, 60_000];

/** Height (0..1) of a lateness on the log scale; clamped to the scale's ends. */
export function latenessHeight(ms: number): number {
  const clamped = Math.min(Math.max(ms, LATENESS_MIN_MS), LATENESS_MAX_MS);
  return Math.log10(clamped / LATENESS_MIN_MS) / Math.log10(LATENESS_MAX_MS / LATENESS_MIN_MS);
}

export interface LatenessBar {
  tick: Tick;
  cls: TickClass;
  ms: number;
  /** 0..1 of the chart's height. */
  height: number;
}

export function latenessBars(recent: readonly Tick[]): LatenessBar[] {
  return chronological(recent).map((tick) => {
    // A backfilled or triggered event has no lateness (lateByMs): no bar.
    const ms = lateByMs(tick) ?? 0;
    return { tick, cls: classifyTick(tick), ms, height: latenessHeight(ms) };
  });
}
