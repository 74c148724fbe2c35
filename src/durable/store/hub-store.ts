/**
 * The storage seam: everything the engine asks of its task hub, in the engine's own terms (records, history, inbox
 * entries, outbox messages), never rows, filters or batches. `azure-tables/` is the production implementation,
 * `memory/` one for fast tests with the same semantics (ETags, 409/412 conflicts, one instance's writes atomic).
 *
 * Payloads (inputs, outputs, messages, history) are JSON text of any size up to the edge's limits; how a store keeps
 * large ones (the Azure store: gzip blobs in the hub's `<hub>-largemessages` container) is its own business.
 *
 * Errors: a write another writer got to first throws `ConflictError` (nothing of it applied); a storage that stays
 * unavailable throws `StorageUnavailableError` (see errors.ts).
 */
import type { LeaseRow, LeaseWrite } from '../lease/lease-row.js';
import type { InboxEntry, InstanceRecord, OutboxMessage } from '../instance-state.js';
import type { StepPlan } from '../planner/step-plan.js';
import type { HistoryEventJson, RuntimeStatus } from '../wire-types.js';
import type { InstanceQuery } from '../engine-api.js';

/** An instance's committed state as one consistent read (or as the owner's cache holds it). */
export interface PartitionSnapshot {
  partitionKey: string;
  record?: InstanceRecord;
  history: HistoryEventJson[];
  /** Keys of the current execution's history rows. */
  historyRows: string[];
  /** Stored inbox entries, ordered by (at, rowKey). */
  inbox: InboxEntry[];
  outbox: OutboxEntry[];
  /** History rows of executions other than the current one (after continue-as-new or a restart). */
  staleHistory: string[];
}

/** One step's outbox: messages for other instances, delivered after the commit, then deleted. */
export interface OutboxEntry {
  instanceId: string;
  rowKey: string;
  messages: OutboxMessage[];
}

/** A step ready to commit: what it writes, and whether it fits the store's limits. */
export interface PreparedStep {
  /** The instance record as written (counters advanced); its ETag is the one the commit is guarded by. */
  record?: InstanceRecord;
  /** Keys of the history rows written. */
  historyRows: string[];
  /** History rows of other executions this commit deletes. */
  deletedHistory: string[];
  outbox?: OutboxEntry;
  /** Storage operations the commit takes. */
  operations: number;
  /** Why the step does not fit one commit, if it does not. */
  tooLarge?: string;
  /** It does not fit by operation count only: never a reason to fail the orchestration. */
  tooManyOps?: boolean;
}

/** What taking the lease needs of an unfinished instance: when it wakes. */
export interface WakeTime {
  instanceId: string;
  status: RuntimeStatus;
  /** Epoch ms; -1: waits for messages only; undefined: written before wake times were recorded. */
  nextWakeAt?: number;
}

/** What a scan of the hub hands on, instance by instance (HubStore.scanInstances). */
export interface InstanceVisitor {
  /** An instance read whole (it has a record). */
  whole(snap: PartitionSnapshot): ScanAnswer;
  /** An instance whose rows straddled two pages: its instance row alone is trusted, for when it wakes. */
  partial(wake: WakeTime): ScanAnswer;
}

/** 'stop' ends the scan after this instance. */
export type ScanAnswer = 'stop' | void;

/** A stored inbox or outbox row, named only (the safety net compares these with what the owner knows). */
export interface MessageRef {
  instanceId: string;
  rowKey: string;
}

/** What the message scan also finds in the hub partition: wake marks and standby presence rows (with their ETags). */
export interface HubSignals {
  wakes: number;
  standbys: Map<string, string>;
}

export type InstanceFilter = Pick<InstanceQuery, 'runtimeStatus' | 'createdTimeFrom' | 'createdTimeTo' | 'instanceIdPrefix'>;

/** The hub's lease row. Each call is ONE attempt: the lease times its writes itself. */
export interface LeaseStore {
  read(): Promise<LeaseRow | undefined>;
  /** Creates the row; its new ETag. ConflictError when it exists. */
  create(write: LeaseWrite): Promise<string | undefined>;
  /** Replaces the row if it still has `etag`; its new ETag. ConflictError otherwise. */
  replace(write: LeaseWrite, etag: string): Promise<string | undefined>;
}

/** How hard a store retries an unavailable storage: until shutdown, or for a bounded time (client operations). */
export interface StoreControl {
  /** Stop retrying when this turns true (shutdown). */
  stopping(): boolean;
  /** Give up after this many ms of failures (undefined: keep going until stopping). */
  budgetMs?: number;
}

/** Opens the hub's store; the engine opens one for its background work and one for client operations. */
export type StoreFactory = (control: StoreControl) => HubStore;

export interface HubStore {
  /** Creates the hub's storage if it is missing (idempotent). */
  ensureReady(): Promise<void>;

  // ------------------------------------------------------------ the owner's steps
  /** The whole instance as one consistent snapshot (record, current history, inbox, outbox, garbage). */
  loadInstance(instanceId: string): Promise<PartitionSnapshot>;
  /**
   * Every instance's partition from one scan of the hub, handed to `visit` one by one as the pages come (what taking
   * the lease preloads instead of reading instances one at a time). A whole snapshot is consistent as loadInstance's
   * is; an instance whose rows the scan could not read as one snapshot comes as its wake time alone. The scan ends
   * early when a visit says 'stop'.
   */
  scanInstances(visit: InstanceVisitor): Promise<void>;
  /** The instance's stored inbox alone (the targeted read after this process wrote a message there). */
  readInbox(instanceId: string): Promise<InboxEntry[]>;
  /** The plan as one atomic commit on top of `snap`, sized against the store's limits (pure, no I/O). */
  prepareStep(snap: PartitionSnapshot, plan: StepPlan): PreparedStep;
  /** Commits a step prepared by THIS store: guarded by the snapshot's record ETag. The new ETags by row key. */
  commitStep(step: PreparedStep): Promise<Map<string, string>>;
  /** Deletes rows of an instance (garbage, delivered outbox rows); missing ones are ignored. */
  deleteRows(instanceId: string, rowKeys: string[]): Promise<void>;

  // ------------------------------------------------------------ finding work
  /** Every instance's status and wake time (one projected query, no per-instance reads). */
  wakeTimes(): Promise<WakeTime[]>;
  /** Every stored inbox and outbox row, by key only. */
  messageRefs(): Promise<MessageRef[]>;
  /** messageRefs and the hub partition's signals, from the same single query. */
  scanMessages(): Promise<{ messages: MessageRef[]; signals: HubSignals }>;

  // ------------------------------------------------------------ client side (any process)
  readInstance(instanceId: string): Promise<InstanceRecord | undefined>;
  readHistory(instanceId: string, executionId: string): Promise<HistoryEventJson[]>;
  /**
   * Writes a new execution: the record (created, or replacing `replacing` by its ETag) and its start message, as one
   * commit. The record's new ETag.
   */
  startInstance(record: InstanceRecord, start: InboxEntry, replacing?: InstanceRecord): Promise<string | undefined>;
  /** Inserts a message into an instance's inbox (ConflictError when that row exists: delivered before). */
  insertMessage(instanceId: string, entry: InboxEntry): Promise<void>;
  listInstances(filter: InstanceFilter): Promise<InstanceRecord[]>;
  pageInstances(filter: InstanceFilter, top: number, continuationToken?: string): Promise<{ records: InstanceRecord[]; continuationToken?: string }>;
  listInstanceIds(filter: InstanceFilter): Promise<string[]>;
  /** Deletes the instance row if it still has `etag`: false when it changed or is gone. */
  deleteInstanceRow(instanceId: string, etag: string): Promise<boolean>;
  /** Keys of every row of the instance's partition but its instance row (a new instance's row is never purged). */
  rowKeysOf(instanceId: string): Promise<string[]>;
  /**
   * The end of a purge, once the instance's rows are deleted: whatever the store kept of it outside its rows (the
   * Azure store's large payloads, orphans of crashed commits included) goes too, but what a new instance of the same
   * id names.
   */
  afterPurge(instanceId: string): Promise<void>;

  // ------------------------------------------------------------ waking the owner (any process → the lease owner)
  /** Marks the instance for the owner's next wake poll (a client wrote there through a process that is not the owner). */
  markWake(instanceId: string): Promise<void>;
  /** The instances marked since the last take; their marks are removed (one re-marked meanwhile stays marked). */
  takeWakes(): Promise<string[]>;
  /** A process that is not the owner says it is there (the owner polls wake marks while one is). */
  markPresence(presenceId: string): Promise<void>;
  /** Removes a presence row that was not rewritten (its process is gone), if it still has `etag`. */
  clearPresence(presenceId: string, etag: string): Promise<void>;

  readonly lease: LeaseStore;
}
