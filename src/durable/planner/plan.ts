/** What a step plans: its inputs (StepInput), its result (StepPlan), and the helpers every planner part shares. */
import type { InboxEntry, InboxMessage, InstanceRecord, OutboxMessage } from '../instance-state.js';
import type { FunctionInvoker } from '../engine-api.js';
import type { HistoryEventJson } from '../wire-types.js';

/**
 * Inputs a step takes: inbox messages of every kind it consumes (each one a delete in the commit) plus due timers
 * it fires. The rest wait for the next step, so that one commit stays within the 100-operation transaction limit.
 */
export const MAX_MESSAGES_PER_STEP = 50;

export interface StepInput {
  record: InstanceRecord | undefined;
  /** Events of the record's current execution, in order. */
  history: HistoryEventJson[];
  /** All inbox rows of the partition, ordered by (at, rowKey). */
  inbox: InboxEntry[];
  now: number;
  invoker: FunctionInvoker;
  newExecutionId: () => string;
  /** Fail the orchestration with this message instead of running it (e.g. its payload cannot be stored). */
  forceFailure?: string;
  /** Inputs (consumed messages + fired timers) this step may take; default MAX_MESSAGES_PER_STEP. */
  maxInputs?: number;
}

export interface ActivityWork {
  instanceId: string;
  executionId: string;
  taskId: number;
  name: string;
  /** JSON text of the input. */
  input?: string;
}

export interface StepPlan {
  /** The record to write with If-Match on the snapshot's ETag; undefined when there is no instance row. */
  record?: InstanceRecord;
  /** Execution the appended history belongs to (the one that ran in this step). */
  historyExecutionId?: string;
  historyEvents: HistoryEventJson[];
  consumed: string[];
  /** Inputs taken: consumed messages plus fired timers (at most StepInput.maxInputs). */
  inputs: number;
  inboxInserts: { rowKey: string; at: number; message: InboxMessage }[];
  outbox: OutboxMessage[];
  activities: ActivityWork[];
  /** What happened, for the log. */
  outcome?: 'started' | 'completed' | 'failed' | 'terminated' | 'continuedAsNew' | 'suspended' | 'resumed' | 'rewound';
  failure?: string;
}

export function emptyPlan(): StepPlan {
  return { historyEvents: [], consumed: [], inputs: 0, inboxInserts: [], outbox: [], activities: [] };
}

/**
 * A copy the plan may change without touching the cached record. Field by field: a JSON round trip of the whole
 * record was the engine's largest own cost per step in a profile of 1,000 ticking schedules.
 */
export function cloneRecord(record: InstanceRecord): InstanceRecord {
  const { retries } = record.state;
  const copy: InstanceRecord = {
    ...record,
    state: {
      nextEventId: record.state.nextEventId,
      actionIds: [...record.state.actionIds],
      retries: Object.keys(retries).length === 0 ? {} : (JSON.parse(JSON.stringify(retries)) as InstanceRecord['state']['retries']),
    },
  };
  if (record.parent) copy.parent = { ...record.parent };
  return copy;
}

/**
 * A sub-orchestration's instance id: the one the orchestrator asked for, else `<parent executionId>:<task id>`, as
 * DurableTask.Core names it (the extension passes no id down). Named after the EXECUTION, so an eternal parent that
 * calls a child in each execution gets a new child each time instead of reusing (or colliding with) the last one.
 */
export function childInstanceId(parentExecutionId: string, taskId: number, requested?: string): string {
  return requested !== undefined && requested.trim() !== '' ? requested : `${parentExecutionId}:${taskId}`;
}

/** The plan writes something (otherwise there is nothing to commit). */
export function hasChanges(plan: StepPlan): boolean {
  return plan.consumed.length > 0 || plan.historyEvents.length > 0 || plan.inboxInserts.length > 0 || plan.outbox.length > 0;
}
