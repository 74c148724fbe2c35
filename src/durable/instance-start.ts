/** A new execution of an instance (a start, or a restart of a finished one): its record and its start message. */
import { randomUUID } from 'node:crypto';
import type { Clock } from './clock/clock.js';
import { startMessageKey } from './keys.js';
import { freshState, type InboxEntry, type InboxMessage, type InstanceRecord, type ParentRef } from './instance-state.js';

export interface NewExecution {
  record: InstanceRecord;
  start: InboxEntry;
}

/** `existing`: the finished instance it replaces (its row-key counters go on, so no old key is reused). */
export function newExecution(
  clock: Clock,
  instanceId: string,
  name: string,
  input: string | undefined,
  at: number,
  existing: InstanceRecord | undefined,
  parent?: ParentRef,
): NewExecution {
  const now = clock.now();
  const executionId = randomUUID().replace(/-/g, '');
  const record: InstanceRecord = {
    instanceId,
    name,
    status: 'Pending',
    executionId,
    createdTime: now,
    lastUpdatedTime: now,
    historySeq: existing?.historySeq ?? 0,
    outboxSeq: existing?.outboxSeq ?? 0,
    state: freshState(),
    etag: '*',
    nextWakeAt: at,
    startToken: executionId,
  };
  if (input !== undefined) record.input = input;
  if (parent) record.parent = parent;
  const message: InboxMessage = { type: 'start', executionId, name, ...(input !== undefined ? { input } : {}), ...(parent ? { parent } : {}) };
  return { record, start: { rowKey: startMessageKey(executionId), at, message } };
}
