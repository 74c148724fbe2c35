/**
 * The engine's persistent vocabulary: history event types (numbers as durable-functions expects them), the
 * messages that travel through inboxes and outboxes, and the instance record kept on the `instance` row.
 */
import type { HistoryEventJson, RuntimeStatus } from './wire-types.js';

/** DTFx EventType numbers (durable-functions' HistoryEventType). */
export const EventType = {
  ExecutionStarted: 0,
  ExecutionCompleted: 1,
  ExecutionFailed: 2,
  ExecutionTerminated: 3,
  TaskScheduled: 4,
  TaskCompleted: 5,
  TaskFailed: 6,
  SubOrchestrationInstanceCreated: 7,
  SubOrchestrationInstanceCompleted: 8,
  SubOrchestrationInstanceFailed: 9,
  TimerCreated: 10,
  TimerFired: 11,
  OrchestratorStarted: 12,
  OrchestratorCompleted: 13,
  EventSent: 14,
  EventRaised: 15,
  ContinueAsNew: 16,
  GenericEvent: 17,
  HistoryState: 18,
  ExecutionSuspended: 19,
  ExecutionResumed: 20,
} as const;

export const EventTypeName: Record<number, string> = Object.fromEntries(
  Object.entries(EventType).map(([name, value]) => [value, name]),
);

/** A history event before the step stamps EventId/IsPlayed/Timestamp. */
export type EventBody = { EventType: number } & Record<string, unknown>;

export interface ParentRef {
  instanceId: string;
  executionId: string;
  /** The parent's TaskScheduledId for this sub-orchestration. */
  taskId: number;
}

export interface FailureInfo {
  Reason: string;
  Details?: string;
  FailureDetails?: { ErrorType: string; ErrorMessage: string; StackTrace?: string };
}

/** A raised event carried over a continue-as-new: name and JSON text of its data. */
export interface CarriedEvent {
  name: string;
  input?: string;
}

export type InboxMessage =
  /** `carried`: raised events the previous execution did not wait for, delivered right after the start. */
  | { type: 'start'; executionId: string; name: string; input?: string; parent?: ParentRef; carried?: CarriedEvent[] }
  /** An event for the orchestration. executionId set: only for that execution (results); unset: any (raised events). */
  | { type: 'event'; executionId?: string; event: EventBody }
  | { type: 'terminate'; reason: string }
  | { type: 'suspend'; reason: string }
  | { type: 'resume'; reason: string }
  /**
   * Rewind of a Failed execution: it goes on as `executionId` (a new id, so the old execution's rows become garbage
   * the usual way) with its failed task results removed. `parentExecutionId`: the parent's execution id after its own
   * rewind (a failed sub-orchestration is rewound with its parent), so the child's result reaches the parent.
   * `subOrchestrations`: the failed children rewound with it; the failure of any other child stays in the history
   * (gone, restarted or not failed any more: nothing would report a new result).
   */
  | { type: 'rewind'; reason: string; executionId: string; parentExecutionId?: string; subOrchestrations?: string[] };

export interface InboxEntry {
  rowKey: string;
  /** Enqueue time / visibility time (epoch ms, by the engine's clock). */
  at: number;
  message: InboxMessage;
  /**
   * Held in memory only, never stored (an activity's result, or the start of the execution a continue-as-new begins
   * in the same commit): consuming it deletes no row; if the step does not take it, the step stores it.
   */
  volatile?: boolean;
}

export type OutboxMessage =
  | { type: 'createSub'; instanceId: string; name: string; input?: string; parent: ParentRef }
  | { type: 'toParent'; parent: ParentRef; event: EventBody };

export interface RetryOptionsJson {
  firstRetryIntervalInMilliseconds: number;
  maxNumberOfAttempts: number;
  backoffCoefficient?: number;
  maxRetryIntervalInMilliseconds?: number;
  retryTimeoutInMilliseconds?: number;
}

/** A with-retry task between attempts, keyed in EngineState.retries by its open task id or retry timer id. */
export interface RetryState {
  kind: 'activity' | 'sub';
  name: string;
  /** JSON text of the input. */
  input?: string;
  /** For sub-orchestrations: the instance id the orchestrator asked for (else one is derived per attempt). */
  childInstanceId?: string;
  options: RetryOptionsJson;
  /** Attempts started so far. */
  attempt: number;
  firstAttemptAt: number;
  phase: 'running' | 'waiting';
  /** retryTimeout ran out: remaining attempts fail at once without running. */
  timedOut?: boolean;
  lastFailure?: FailureInfo;
}

/** Bookkeeping of the current execution that mirrors the orchestrator's task numbering. */
export interface EngineState {
  /** The next task id the orchestrator will assign (its sequenceNumber). */
  nextEventId: number;
  /** Task id of each id-consuming action, in the order the orchestrator reported them. */
  actionIds: number[];
  retries: Record<string, RetryState>;
}

export function freshState(): EngineState {
  return { nextEventId: 0, actionIds: [], retries: {} };
}

export interface InstanceRecord {
  instanceId: string;
  name: string;
  status: RuntimeStatus;
  executionId: string;
  /** JSON texts. */
  input?: string;
  output?: string;
  customStatus?: string;
  failureDetails?: string;
  createdTime: number;
  lastUpdatedTime: number;
  parent?: ParentRef;
  /** Monotonic counters for row keys (kept across executions). */
  historySeq: number;
  outboxSeq: number;
  state: EngineState;
  etag: string;
  /**
   * The mark of the client start that wrote this instance (its first execution id; kept across continue-as-new and
   * rewind): a start whose answer was lost and whose retry meets the row finds its own mark there.
   */
  startToken?: string;
  /**
   * When the instance next needs a step without any new message (epoch ms): its earliest timer, its delayed start,
   * or the commit time while an activity is open (recovery re-dispatches it). NO_WAKE: it only waits for messages.
   * Taking the lease loads every instance's wake time with one projected query, not one read per instance.
   */
  nextWakeAt?: number;
}

/** nextWakeAt of an instance that waits only for messages (or is finished). */
export const NO_WAKE = -1;

export const TERMINAL_STATUSES: readonly RuntimeStatus[] = ['Completed', 'Failed', 'Terminated', 'Canceled'];

export function isTerminal(status: RuntimeStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

export function stamp(body: EventBody, eventId: number, timestamp: number, isPlayed: boolean): HistoryEventJson {
  return { ...body, EventId: eventId, IsPlayed: isPlayed, Timestamp: new Date(timestamp).toISOString() };
}

/** Inbox entries in the order they are taken: by time, then by row key (send order). */
export function sortInbox(inbox: InboxEntry[]): InboxEntry[] {
  return inbox.sort((a, b) => a.at - b.at || (a.rowKey < b.rowKey ? -1 : a.rowKey > b.rowKey ? 1 : 0));
}
