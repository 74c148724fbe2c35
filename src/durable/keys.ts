/**
 * Names of the task hub's table, partitions and rows. One table per hub; one partition per instance.
 * Keys are built so that a duplicate message from repeated work lands on the same row (insert conflicts = dedup).
 */

/** Characters Azure Table keys forbid (/ \ # ? and control characters), plus % (our escape) and ~ (reserved). */
const NEEDS_ESCAPE = /[/\\#?%~\u0000-\u001f\u007f-\u009f]/g;

/** A reversible, prefix-preserving escape of an instance id into a PartitionKey. */
export function partitionKeyOf(instanceId: string): string {
  return instanceId.replace(NEEDS_ESCAPE, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export function instanceIdOf(partitionKey: string): string {
  return partitionKey.replace(/%([0-9a-f]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

export function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** The instance row's logical key (commits report its ETag under it); an Azure hub names the row per its layout. */
export const INSTANCE_ROW = 'instance';
/** The hub-wide partition; `~` never occurs in an escaped instance id. */
export const HUB_PARTITION = '~hub';
export const LEASE_ROW = 'lease';
/** Hub partition row naming how the hub names its instance rows (store/azure-tables/instance-row-key.ts). */
export const LAYOUT_ROW = 'layout';
/** Hub partition rows `wake~<partition key>`: a client write through a process that is not the lease owner. */
export const WAKE_PREFIX = 'wake~';
/** Hub partition rows `standby~<workerId>`: a process that is not the lease owner says it is there (rewritten often). */
export const STANDBY_PREFIX = 'standby~';

export const HISTORY_PREFIX = 'h~';
export const INBOX_PREFIX = 'i~';
export const OUTBOX_PREFIX = 'o~';

export function historyPrefix(executionId: string): string {
  return `${HISTORY_PREFIX}${executionId}~`;
}

export function historyRowKey(executionId: string, seq: number, part: number): string {
  return `${historyPrefix(executionId)}${pad(seq, 10)}-${pad(part, 3)}`;
}

export function executionOfHistoryRow(rowKey: string): string {
  return rowKey.slice(HISTORY_PREFIX.length, rowKey.indexOf('~', HISTORY_PREFIX.length));
}

/** The start message of one execution. */
export function startMessageKey(executionId: string): string {
  return `${INBOX_PREFIX}x~${executionId}`;
}

/** The result of task `taskId` of execution `executionId` (activity or retry fast-fail): recorded once. */
export function taskResultKey(executionId: string, taskId: number): string {
  return `${INBOX_PREFIX}t~${executionId}~${pad(taskId, 8)}`;
}

/** The result of sub-orchestration task `taskId` of the parent's execution: recorded once. */
export function subResultKey(executionId: string, taskId: number): string {
  return `${INBOX_PREFIX}s~${executionId}~${pad(taskId, 8)}`;
}

/** Per-process counter of external messages: orders those sent in the same millisecond (or virtual instant). */
let externalSeq = 0;

/**
 * Messages from outside (events, control operations), each one new. The key sorts in send order: the enqueue time,
 * then this process's counter; `unique` (a uuid) keeps keys written by different processes apart.
 */
export function externalMessageKey(at: number, unique: string): string {
  return `${INBOX_PREFIX}e~${pad(Math.max(0, Math.floor(at)), 15)}~${pad(externalSeq++, 12)}~${unique}`;
}

export function outboxRowKey(seq: number): string {
  return `${OUTBOX_PREFIX}${pad(seq, 10)}`;
}
