/**
 * The external events a schedule answers (raised by the management API through the Durable client, or by anyone
 * with a Durable API key): pause, resume, trigger, backfill, reschedule. Each payload is checked by zod; a
 * malformed one is reported and ignored by the orchestrator, never fatal. The handlers are pure.
 */
import { z } from 'zod';
import { BACKFILL_TICKS_CEILING, ticksBetween, type Timeline } from './fire-times.js';
import { checkNormalizedSpec } from './normalized-spec-schema.js';
import type { NormalizedSpec } from './normalized-spec.js';
import { hasPendingTick, MAX_QUEUE, timelineOf, withSpec, type QueuedTick, type ScheduleState } from './schedule-state.js';

type ScheduleEvent =
  | { kind: 'reschedule'; spec: NormalizedSpec }
  | { kind: 'pause'; note?: string }
  | { kind: 'resume'; note?: string }
  | { kind: 'trigger'; requestId: string }
  | { kind: 'backfill'; from: string; to: string };

export type EventName = ScheduleEvent['kind'];

const note = z.object({ note: z.string().max(1_000).optional() }).nullish();
const trigger = z.object({ requestId: z.string().regex(/^[A-Za-z0-9._:-]{1,128}$/, { message: "must be 1-128 characters of A-Z, a-z, 0-9, '.', '_', ':', '-'" }) });
const instant = z.iso.datetime({ offset: true });
const backfill = z.object({ from: instant, to: instant });

type EventCheck = { ok: true; event: ScheduleEvent } | { ok: false; problem: string };

function problem(error: z.ZodError): string {
  const issue = error.issues[0];
  return `${issue?.path.length ? issue.path.join('.') : '(the payload)'}: ${issue?.message ?? 'invalid'}`;
}

/** The event `name` with `payload`, checked. */
export function checkEvent(name: EventName, payload: unknown): EventCheck {
  switch (name) {
    case 'reschedule': {
      const spec = z.object({ spec: z.unknown() }).safeParse(payload);
      if (!spec.success) return { ok: false, problem: problem(spec.error) };
      const checked = checkNormalizedSpec(spec.data.spec);
      return checked.ok ? { ok: true, event: { kind: 'reschedule', spec: checked.spec } } : { ok: false, problem: `spec.${checked.problem}` };
    }
    case 'pause':
    case 'resume': {
      const parsed = note.safeParse(payload);
      if (!parsed.success) return { ok: false, problem: problem(parsed.error) };
      return { ok: true, event: { kind: name, ...(parsed.data?.note !== undefined ? { note: parsed.data.note } : {}) } };
    }
    case 'trigger': {
      const parsed = trigger.safeParse(payload);
      return parsed.success ? { ok: true, event: { kind: 'trigger', requestId: parsed.data.requestId } } : { ok: false, problem: problem(parsed.error) };
    }
    case 'backfill': {
      const parsed = backfill.safeParse(payload);
      if (!parsed.success) return { ok: false, problem: problem(parsed.error) };
      const from = new Date(parsed.data.from).toISOString();
      const to = new Date(parsed.data.to).toISOString();
      return Date.parse(to) < Date.parse(from) ? { ok: false, problem: 'to: is before from' } : { ok: true, event: { kind: 'backfill', from, to } };
    }
  }
}

export interface Applied {
  state: ScheduleState;
  /** Why the event changed nothing (a dropped trigger, a backfill too large, ...), for the log. */
  ignored?: string;
}

/**
 * The state after an event at orchestration time `now`. `delivering`: a tick is being delivered (retried) right
 * now, which a trigger's overlap policy needs to know; `ownTick`: the scheduled time of that tick when it is the
 * schedule's own (a new spec leaves it in place, see withSpec).
 */
export function applyEvent(state: ScheduleState, event: ScheduleEvent, now: Date, delivering = false, ownTick?: string): Applied {
  switch (event.kind) {
    case 'reschedule':
      return { state: withSpec(state, event.spec, now, ownTick) };
    case 'pause': {
      const paused = { note: event.note ?? state.paused?.note ?? 'paused', since: state.paused?.since ?? now.toISOString() };
      return { state: { ...state, paused } };
    }
    case 'resume': {
      if (!state.paused) return { state, ignored: 'not paused' };
      const { paused: _p, ...rest } = state;
      // The missed ticks stay where they were: the catch-up policy decides about them on the next step. They were
      // held back on purpose: their lateness and skips are no sign of overload.
      return { state: { ...rest, consecutiveFailures: 0, excusedUntil: now.toISOString() } };
    }
    case 'trigger':
      return queueTrigger(state, event.requestId, now, delivering || hasPendingTick(state));
    case 'backfill':
      return queueBackfill(state, event.from, event.to, now);
  }
}

function queueTrigger(state: ScheduleState, requestId: string, now: Date, overlapping: boolean): Applied {
  if (state.queue.some((q) => q.kind === 'manual' && q.requestId === requestId)) return { state, ignored: `trigger ${requestId} is queued already` };
  const skipped = { ...state, counters: { ...state.counters, skipped: state.counters.skipped + 1 } };
  if (overlapping && state.spec.overlap === 'skip') return { state: skipped, ignored: `trigger ${requestId} dropped: a tick is being retried (overlap: skip)` };
  const entry: QueuedTick = { kind: 'manual', requestId, time: now.toISOString() };
  let queue = state.queue;
  let dropped = 0;
  if (overlapping && state.spec.overlap === 'bufferOne') {
    // Only the newest of the triggers raised during one retried tick is kept.
    const before = queue.length;
    queue = queue.filter((q) => q.kind !== 'manual');
    dropped = before - queue.length;
  }
  if (queue.length >= MAX_QUEUE) return { state: skipped, ignored: `trigger ${requestId} dropped: ${MAX_QUEUE} ticks are queued already` };
  const counters = { ...state.counters, skipped: state.counters.skipped + dropped };
  return { state: { ...state, counters, queue: [...queue, entry] } };
}

/**
 * Where a backfill must end (exclusive), at orchestration time `now`: just after now (a tick not yet due is never
 * sent early: its id would reach the sink before the tick itself, which a deduplicating receiver then drops), and no
 * later than the schedule's own next tick (that one, and every due tick after it, are still the schedule's to send).
 */
export function backfillEnd(state: Pick<ScheduleState, 'nextFireTime'>, now: Date): number {
  const own = state.nextFireTime === undefined ? Infinity : Date.parse(state.nextFireTime);
  return Math.min(now.getTime() + 1, own);
}

/** The backfilled ticks a queue still holds, counted up to `limit` (a count beyond it is `limit + 1`). */
export function queuedBackfillTicks(tl: Timeline, queue: readonly QueuedTick[], limit: number = BACKFILL_TICKS_CEILING): number {
  let count = 0;
  for (const entry of queue) {
    if (entry.kind !== 'backfill') continue;
    try {
      count += ticksBetween(tl, Date.parse(entry.from), Date.parse(entry.to), limit - count + 1).length;
    } catch {
      return limit + 1;
    }
    if (count > limit) return count;
  }
  return count;
}

/**
 * Queues the ticks of [from, to) that are already due and the schedule's own are past (see backfillEnd), while the
 * queue's backfilled ticks stay within BACKFILL_TICKS_CEILING. The management API refuses what this would cut, and
 * holds a schedule to MAX_BACKFILL_TICKS; this guard is for an event raised through the Durable API directly.
 */
function queueBackfill(state: ScheduleState, from: string, to: string, now: Date): Applied {
  const end = Math.min(Date.parse(to), backfillEnd(state, now));
  const tl = timelineOf(state);
  const queued = queuedBackfillTicks(tl, state.queue);
  let count: number;
  try {
    count = end <= Date.parse(from) ? 0 : ticksBetween(tl, Date.parse(from), end, Math.max(0, BACKFILL_TICKS_CEILING - queued)).length;
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    return { state, ignored: queued > 0 ? `${why} (${queued} backfilled ticks are queued already)` : why };
  }
  if (count === 0) return { state, ignored: `backfill [${from}, ${to}) holds no tick that is due and behind the schedule's own (before ${new Date(end).toISOString()})` };
  if (state.queue.length >= MAX_QUEUE) return { state, ignored: `backfill dropped: ${MAX_QUEUE} entries are queued already` };
  return { state: { ...state, queue: [...state.queue, { kind: 'backfill', from, to: new Date(end).toISOString() }] } };
}
