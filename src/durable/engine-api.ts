/**
 * The engine's face to its host: the client operations (`DurableEngine`, what the Durable HTTP API calls), its
 * lifecycle (`DurableEngineRuntime`), its options, and `FunctionInvoker`, which the host implements to run the
 * app's registered durable functions. Nothing here knows any particular app.
 */
import type { OrchestrationTriggerPayload, OrchestratorStateJson, PayloadText, RuntimeStatus } from './wire-types.js';

/** Implemented by the worker: runs the app's registered durable functions. */
export interface FunctionInvoker {
  hasOrchestration(name: string): boolean;
  hasActivity(name: string): boolean;
  /**
   * Resolves with the orchestrator's state (a failed episode's too). Rejects with WorkerUnavailableError when it could
   * not run the episode at all (the step is tried again); any other rejection fails the orchestration.
   */
  invokeOrchestration(name: string, payload: OrchestrationTriggerPayload | PayloadText): Promise<OrchestratorStateJson>;
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

/** Options of the engine factory `createDurableEngine` (engine.ts). */
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
   * Held steps (runtime/held-step.ts) are committed first, so that storage holds everything done so far, unless
   * `commitHeld` is false: then they wait, as in production, for the instance's next step or HOLD_MS of the clock.
   */
  idle?(options?: { commitHeld?: boolean }): Promise<void>;
}
