/**
 * The shapes that cross the wire between the engine and the stock `durable-functions` library (the orchestration
 * trigger payload, its history events and the orchestrator's answer), with the extension's runtime status names.
 */
/** Runtime status names exactly as the Durable extension reports them. */
export type RuntimeStatus =
  | 'Running'
  | 'Completed'
  | 'ContinuedAsNew'
  | 'Failed'
  | 'Canceled'
  | 'Terminated'
  | 'Pending'
  | 'Suspended';

/** One history event in the shape the `durable-functions` orchestration trigger payload carries. */
export interface HistoryEventJson {
  EventType: number;
  EventId: number;
  IsPlayed: boolean;
  Timestamp: string;
  [field: string]: unknown;
}

/** What the engine hands the worker to run one orchestration episode (the orchestrationTrigger payload). */
export interface OrchestrationTriggerPayload {
  instanceId: string;
  history: HistoryEventJson[];
  input: unknown;
  isReplaying: boolean;
  parentInstanceId?: string;
  upperSchemaVersion: number;
  [field: string]: unknown;
}

/**
 * An OrchestrationTriggerPayload already as its JSON text (exactly what JSON.stringify of the payload gives): the
 * engine builds it from texts it keeps between the episodes of an execution, and the worker takes text anyway.
 */
export class PayloadText {
  constructor(
    readonly instanceId: string,
    readonly historyLength: number,
    readonly json: string,
  ) {}
}

/** What an orchestrator episode returns (the `durable-functions` OrchestratorState, as JSON). */
export interface OrchestratorStateJson {
  isDone: boolean;
  actions: unknown[][] | unknown[];
  output?: unknown;
  error?: string;
  customStatus?: unknown;
  schemaVersion?: number;
  [field: string]: unknown;
}
