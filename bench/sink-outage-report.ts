/**
 * What the bench's sink saw of an outage it played (sink-process.ts `outage`): how soon after it a POST got a 2xx
 * again, when the backlog (every event scheduled before the recovery) had arrived, and whether every schedule's
 * stream stayed whole: no tick lost (a gap in its sequences or in its scheduled times), none doubled (the same id
 * twice), first copies in sequence order, one id per sequence. Pure: runs in the sink process over what it recorded.
 */
import { percentile } from './stats.js';

export interface Received {
  id: string;
  /** The schedule the event came from (its data's `schedule`). */
  schedule: string;
  sequence: number;
  scheduledAt: number;
  receivedAt: number;
}

export interface OutageReport {
  /** The outage as the sink played it (epoch ms, the sink's clock). */
  from: number;
  until: number;
  /** POSTs answered with the outage's status. */
  refusedPosts: number;
  /** First 2xx at or after `until` (null: none yet). */
  firstOkAt: number | null;
  /** Each schedule's first 2xx at or after `until`, as time since `until` (ms): the median and the slowest. */
  resumedMs: { p50: number; max: number } | null;
  /** Schedules that delivered at or after `until`. */
  resumedSchedules: number;
  /** Events scheduled during the outage (distinct ids): what it held back. */
  backlog: number;
  /** When the last event scheduled before `until` arrived (null: none arrived after it). */
  drainedAt: number | null;
  /** Events received from `until` to `drainedAt` (the drain's throughput, with the ticks due meanwhile). */
  drainReceived: number;
  schedules: number;
  received: number;
  /** Events received at or after `until`. */
  receivedAfter: number;
  /** Copies of an id already received. */
  doubled: number;
  /** Ticks missing between a schedule's first and last event (by sequence or by scheduled time, the larger). */
  lost: number;
  /** Schedules whose sequences did not first arrive in order. */
  outOfOrder: number;
  /** Sequences that came with two ids, or ids that came with two sequences. */
  idConflicts: number;
}

interface StreamCheck {
  lost: number;
  inOrder: boolean;
  idConflicts: number;
}

/** One schedule's events in arrival order. */
function checkSchedule(events: Received[], intervalMs: number): StreamCheck {
  const idOf = new Map<number, string>();
  const sequenceOf = new Map<string, number>();
  const times = new Set<number>();
  let idConflicts = 0;
  let inOrder = true;
  let highest = Number.NEGATIVE_INFINITY;
  for (const e of events) {
    const knownId = idOf.get(e.sequence);
    if (knownId === undefined) {
      if (e.sequence < highest) inOrder = false;
      highest = Math.max(highest, e.sequence);
      idOf.set(e.sequence, e.id);
    } else if (knownId !== e.id) idConflicts++;
    const knownSequence = sequenceOf.get(e.id);
    if (knownSequence === undefined) sequenceOf.set(e.id, e.sequence);
    else if (knownSequence !== e.sequence) idConflicts++;
    if (Number.isFinite(e.scheduledAt)) times.add(e.scheduledAt);
  }
  const sequences = [...idOf.keys()];
  const sequenceGaps = sequences.length === 0 ? 0 : sequences.reduce((a, b) => Math.max(a, b)) - sequences.reduce((a, b) => Math.min(a, b)) + 1 - sequences.length;
  const sorted = [...times].sort((a, b) => a - b);
  let timeGaps = 0;
  for (let i = 1; i < sorted.length; i++) timeGaps += Math.max(0, Math.round((sorted[i]! - sorted[i - 1]!) / intervalMs) - 1);
  return { lost: Math.max(sequenceGaps, timeGaps), inOrder, idConflicts };
}

export function outageReport(events: Received[], refused: number[], outage: { from: number; until: number }, intervalMs: number): OutageReport {
  const bySchedule = new Map<string, Received[]>();
  for (const e of events) {
    const list = bySchedule.get(e.schedule);
    if (list) list.push(e);
    else bySchedule.set(e.schedule, [e]);
  }
  let lost = 0;
  let outOfOrder = 0;
  let idConflicts = 0;
  for (const list of bySchedule.values()) {
    const check = checkSchedule(list, intervalMs);
    lost += check.lost;
    idConflicts += check.idConflicts;
    if (!check.inOrder) outOfOrder++;
  }
  const after = events.filter((e) => e.receivedAt >= outage.until);
  // Reduced, not spread: tens of thousands of arguments would overflow the stack.
  const firstOkAt = after.length > 0 ? after.reduce((a, e) => Math.min(a, e.receivedAt), Number.POSITIVE_INFINITY) : null;
  const resumed = new Map<string, number>();
  for (const e of after) resumed.set(e.schedule, Math.min(resumed.get(e.schedule) ?? Number.POSITIVE_INFINITY, e.receivedAt - outage.until));
  const resumedSorted = [...resumed.values()].sort((a, b) => a - b);
  const held = after.filter((e) => e.scheduledAt < outage.until);
  const drainedAt = held.length > 0 ? held.reduce((a, e) => Math.max(a, e.receivedAt), 0) : null;
  const backlog = new Set(events.filter((e) => e.scheduledAt >= outage.from && e.scheduledAt < outage.until).map((e) => e.id)).size;
  return {
    from: outage.from,
    until: outage.until,
    refusedPosts: refused.filter((t) => t >= outage.from).length,
    firstOkAt,
    resumedMs: resumedSorted.length > 0 ? { p50: percentile(resumedSorted, 50), max: resumedSorted.at(-1)! } : null,
    resumedSchedules: resumed.size,
    backlog,
    drainedAt,
    drainReceived: drainedAt === null ? 0 : after.filter((e) => e.receivedAt <= drainedAt).length,
    schedules: bySchedule.size,
    received: events.length,
    receivedAfter: after.length,
    doubled: events.length - new Set(events.map((e) => e.id)).size,
    lost,
    outOfOrder,
    idConflicts,
  };
}
