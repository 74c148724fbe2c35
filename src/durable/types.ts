/**
 * The contract between the pieces of the embedded durable engine:
 * - the worker (src/host/worker) implements FunctionInvoker: it runs the app's registered functions;
 * - the engine (src/host/durable) implements DurableEngine on Azure Storage tables;
 * - the Durable HTTP API (src/host/durable/http-api) turns the webhook endpoints the Durable extension serves into
 *   calls of DurableEngine, so the stock `durable-functions` DurableClient works unchanged.
 * Nothing here knows any particular app.
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

/** Implemented by the worker: runs the app's registered durable functions. */
export interface FunctionInvoker {
  hasOrchestration(name: string): boolean;
  hasActivity(name: string): boolean;
  invokeOrchestration(name: string, payload: OrchestrationTriggerPayload): Promise<OrchestratorStateJson>;
  /** Resolves with the activity's output; rejects with the activity's error. */
  invokeActivity(name: string, input: unknown, meta: { instanceId: string; taskId: number }): Promise<unknown>;
}

export interface InstanceStatus {
  name: string;
  instanceId: string;
  runtimeStatus: RuntimeStatus;
  input: unknown;
  output: unknown;
  customStatus: unknown;
  createdTime: string;
  lastUpdatedTime: string;
  history?: unknown[];
}

export interface InstanceQuery {
  runtimeStatus?: RuntimeStatus[];
  createdTimeFrom?: Date;
  createdTimeTo?: Date;
  instanceIdPrefix?: string;
  top?: number;
  continuationToken?: string;
  showInput?: boolean;
}

export interface StartOptions {
  instanceId?: string;
  input?: unknown;
  /** Epoch ms at which the orchestration starts (scheduled start); default now. */
  startAt?: number;
}

/**
 * Raised by start() when the id is taken by an instance that is not in a terminal state and
 * host.json's `overridableExistingInstanceStates` is `NonRunningStates`.
 */
export class InstanceAlreadyExistsError extends Error {
  readonly code = 'INSTANCE_EXISTS';
  constructor(readonly instanceId: string) {
    super(`An instance with id ${instanceId} already exists and is not in a terminal state`);
  }
}

export class InstanceNotFoundError extends Error {
  readonly code = 'INSTANCE_NOT_FOUND';
  constructor(readonly instanceId: string) {
    super(`No instance with id ${instanceId}`);
  }
}

/** Raised by rewind() when the instance is not Failed (the extension: only failed instances can be rewound). */
export class InstanceNotFailedError extends Error {
  readonly code = 'INSTANCE_NOT_FAILED';
  constructor(
    readonly instanceId: string,
    readonly runtimeStatus: RuntimeStatus,
  ) {
    super(`The rewind operation is only supported on failed orchestration instances; ${instanceId} is ${runtimeStatus}`);
  }
}

/** Raised by rewind() when the failed history is one the engine cannot rewind faithfully (see planner/rewind.ts). */
export class RewindNotSupportedError extends Error {
  readonly code = 'REWIND_NOT_SUPPORTED';
  constructor(
    readonly instanceId: string,
    readonly reason: string,
  ) {
    super(`Instance ${instanceId} cannot be rewound: ${reason}`);
  }
}

/** Client-side operations of the engine, used by the Durable HTTP API. */
export interface DurableEngine {
  readonly taskHubName: string;
  start(orchestratorName: string, options: StartOptions): Promise<string>;
  getStatus(instanceId: string, options?: { showHistory?: boolean; showHistoryOutput?: boolean; showInput?: boolean }): Promise<InstanceStatus | undefined>;
  query(query: InstanceQuery): Promise<{ instances: InstanceStatus[]; continuationToken?: string }>;
  raiseEvent(instanceId: string, eventName: string, data: unknown): Promise<void>;
  terminate(instanceId: string, reason: string): Promise<void>;
  suspend(instanceId: string, reason: string): Promise<void>;
  resume(instanceId: string, reason: string): Promise<void>;
  /**
   * Rewinds a Failed instance (and its failed sub-orchestrations): failed task results leave the history, the failed
   * tasks run again and the orchestration goes on. InstanceNotFoundError / InstanceNotFailedError otherwise.
   */
  rewind(instanceId: string, reason: string): Promise<void>;
  /** Returns the number of instances deleted (0 or 1). */
  purge(instanceId: string): Promise<number>;
  purgeMany(query: Pick<InstanceQuery, 'runtimeStatus' | 'createdTimeFrom' | 'createdTimeTo'>): Promise<number>;
}

/**
 * The Durable extension's HTTP surface (`/runtime/webhooks/durabletask/...`), served by the host's HTTP server.
 * Implemented in src/host/durable/http-api over a DurableEngine.
 */
export interface DurableHttpApi {
  /** Handles a request under /runtime/webhooks/durabletask; resolves false (and writes nothing) for other paths. */
  handle(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): Promise<boolean>;
  /** The JSON object the `durableClient` input binding carries, as the real extension gives it to the worker. */
  clientBindingData(): Record<string, unknown>;
}

/** Options of the engine factory `createDurableEngine` (src/host/durable/engine.ts). */
export interface DurableEngineOptions {
  /** Azure Storage connection string (never logged). */
  connectionString: string;
  taskHubName: string;
  invoker: FunctionInvoker;
  clock: import('./clock/clock.js').Clock;
  logger: import('pino').Logger;
  /**
   * Name of this host in the lease row and logs (e.g. hostname). Taking over an unexpired lease at once does not
   * depend on it: the lease row also records the holder's hostname and pid, and only a holder on this machine whose
   * pid is gone (or is our own pid, a restarted container) is replaced before its lease expires.
   */
  workerId: string;
  /** host.json `extensions.durableTask.overridableExistingInstanceStates`; default NonRunningStates. */
  overridableExistingInstanceStates?: 'NonRunningStates' | 'AnyState';
}

/** The engine as the host drives it: the client operations plus its own lifecycle. */
export interface DurableEngineRuntime extends DurableEngine {
  /** Creates the task hub's tables if needed, loads pending work, timers and outbox, and begins processing. */
  run(): Promise<void>;
  /** Stops intake, lets in-flight steps finish or abandons them safely, releases leases. */
  shutdown(): Promise<void>;
  /**
   * Resolves when the engine has nothing in progress: no step queued or running, no activity running, no outbox
   * delivery pending (checked stably). Test environments advance virtual time only then. Optional for test doubles.
   */
  idle?(): Promise<void>;
}

/** Options of `createDurableHttpApi` (src/host/durable/http-api/index.ts). */
export interface DurableHttpApiOptions {
  /** The host's own base URL, e.g. http://127.0.0.1:7071 (status links are built from it). */
  baseUrl: string;
  taskHubName: string;
  /** Name of the storage connection setting, as the extension reports it (default AzureWebJobsStorage). */
  connectionName: string;
  /** When set, the webhook endpoints demand it as `code` (query) or `x-functions-key` (header). */
  systemKey?: string;
}

/**
 * A payload (start input, event data, custom status) larger than the task hub can store (storage-limits.ts). The
 * HTTP edge answers 413 for it; nothing was stored.
 */
export class PayloadTooLargeError extends Error {
  readonly code = 'PAYLOAD_TOO_LARGE';
  constructor(
    readonly field: string,
    readonly units: number,
    readonly limit: number,
  ) {
    super(`${field} is ${units} characters of JSON; at most ${limit} can be stored`);
  }
}
