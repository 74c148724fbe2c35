/**
 * The time an instance next needs a step without a new message, written on its `instance` row so that taking the
 * lease finds every due timer with one projected query over instance rows (no read per instance).
 */
import { isTerminal, NO_WAKE, type InboxEntry, type InstanceRecord } from '../instance-state.js';
import { openTasks } from './open-tasks.js';
import type { HistoryEventJson } from '../wire-types.js';

/**
 * - finished: NO_WAKE;
 * - waiting for its (delayed) start: the start message's time;
 * - an activity open without a result: `now` (recovery dispatches it again: at least once);
 * - else its earliest timer (none while suspended) or delayed message; NO_WAKE if it only waits for messages.
 */
export function nextWakeOf(record: InstanceRecord, history: readonly HistoryEventJson[], inbox: readonly InboxEntry[], now: number): number {
  if (isTerminal(record.status)) return NO_WAKE;
  let wake = Number.POSITIVE_INFINITY;
  if (record.status === 'Pending' || record.status === 'ContinuedAsNew') {
    const start = inbox.find((e) => e.message.type === 'start' && e.message.executionId === record.executionId);
    return start ? start.at : now;
  }
  const open = openTasks(history);
  if (open.activities.size > 0) return now;
  if (record.status !== 'Suspended') for (const fireAt of open.timers.values()) wake = Math.min(wake, fireAt);
  for (const entry of inbox) if (entry.at > now) wake = Math.min(wake, entry.at);
  return Number.isFinite(wake) ? wake : NO_WAKE;
}
