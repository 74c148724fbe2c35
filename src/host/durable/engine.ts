/**
 * The durable engine on Azure Table Storage: one table per task hub, one partition per instance, every
 * orchestration step committed as ONE entity-group transaction guarded by the instance row's ETag. Effects
 * (activities, timers, messages to other instances) are derived from committed rows, so a crash at any instant loses
 * nothing: on restart the same rows yield the same work. See README.md in this folder.
 */
import { randomUUID } from 'node:crypto';
import type { TableEntity, TransactionAction } from '@azure/data-tables';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { approxEntityBytes, getText, parseJson, putText, toJsonText, type EntityProps } from './chunked-text.js';
import { HubLease } from './hub-lease.js';
import { recordFromRow, rowFromRecord } from './instance-row.js';
import {
  DurableConfigError,
  externalMessageKey,
  historyPrefix,
  historyRowKey,
  INBOX_PREFIX,
  INSTANCE_ROW,
  instanceIdOf,
  OUTBOX_PREFIX,
  outboxRowKey,
  partitionKeyOf,
  startMessageKey,
  subResultKey,
  taskResultKey,
  validateInstanceId,
  validateTaskHubName,
} from './keys.js';
import {
  EventType,
  freshState,
  isTerminal,
  TERMINAL_STATUSES,
  type EventBody,
  type InboxMessage,
  type InstanceRecord,
  type OutboxMessage,
  type ParentRef,
} from './model.js';
import { quote, readPartition, type PartitionSnapshot } from './partition-snapshot.js';
import { openTasks, planStep, type ActivityWork, type StepPlan } from './step-plan.js';
import { ConflictError, describe, HubTable, StorageUnavailableError, type Row } from './table-store.js';
import { TimerQueue } from './timer-queue.js';
import {
  InstanceAlreadyExistsError,
  InstanceNotFoundError,
  type DurableEngineOptions,
  type DurableEngineRuntime,
  type HistoryEventJson,
  type InstanceQuery,
  type InstanceStatus,
  type RuntimeStatus,
  type StartOptions,
} from './types.js';

/** Knobs with production defaults; tests shorten them. Times are clock ms unless noted. */
export interface EngineTuning {
  leaseDurationMs?: number;
  leaseRenewEveryMs?: number;
  /** Real-time period of the safety-net scan for work written by other processes (0 disables). */
  safetyScanIntervalMs?: number;
  maxConcurrentSteps?: number;
  maxConcurrentActivities?: number;
  /** Real time shutdown waits for in-flight work. */
  shutdownGraceMs?: number;
  /** Real time a client operation keeps retrying an unavailable storage before it fails. */
  clientRetryBudgetMs?: number;
}

const DEFAULTS: Required<EngineTuning> = {
  leaseDurationMs: 30_000,
  leaseRenewEveryMs: 10_000,
  safetyScanIntervalMs: 30_000,
  maxConcurrentSteps: 8,
  maxConcurrentActivities: 16,
  shutdownGraceMs: 5_000,
  clientRetryBudgetMs: 20_000,
};

/** Entity size (1 MiB) and transaction size (4 MiB) limits of Azure Table Storage, with headroom. */
const MAX_ENTITY_BYTES = 960_000;
const MAX_TRANSACTION_BYTES = 3_800_000;
/** History JSON per row, so that a row stays under the entity limit (UTF-16: 2 bytes a character). */
const HISTORY_ROW_CHARS = 400_000;
const MAX_STEP_LOOPS = 25;
/** Operations in one entity-group transaction. */
const MAX_TRANSACTION_OPS = 100;

interface BuiltStep {
  actions: TransactionAction[];
  outboxRow?: Row;
  /** Why the step does not fit one transaction, if it does not. */
  tooLarge?: string;
  /** It does not fit by operation count only (bytes would): never a reason to fail the orchestration. */
  tooManyOps?: boolean;
}

class Semaphore {
  private active = 0;
  private waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}
  async acquire(): Promise<() => void> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.active++;
    return () => {
      this.active--;
      this.waiting.shift()?.();
    };
  }
}

export function createDurableEngine(options: DurableEngineOptions, tuning: EngineTuning = {}): DurableEngineRuntime {
  return new TableDurableEngine(options, { ...DEFAULTS, ...tuning });
}

class TableDurableEngine implements DurableEngineRuntime {
  readonly taskHubName: string;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly bg: HubTable;
  private readonly client: HubTable;
  private readonly lease: HubLease;
  private readonly timers: TimerQueue;
  private readonly stepSlots: Semaphore;
  private readonly activitySlots: Semaphore;
  private stopping = false;
  private abandoned = false;
  private started = false;
  private scanHandle: NodeJS.Timeout | undefined;
  private readonly queued = new Set<string>();
  private readonly running = new Set<string>();
  private readonly again = new Set<string>();
  private readonly stepBackoff = new Map<string, number>();
  private readonly inFlight = new Map<string, Promise<void>>();
  /** Activity results written but maybe not yet seen in history, per instance: never dispatch those again. */
  private readonly recorded = new Map<string, Set<string>>();
  private readonly delivering = new Set<string>();
  /** Instances whose failed step waits (real time) to be retried. */
  private readonly retryWaiting = new Set<string>();
  private readonly work = new Set<Promise<unknown>>();

  constructor(
    private readonly options: DurableEngineOptions,
    private readonly tuning: Required<EngineTuning>,
  ) {
    this.taskHubName = validateTaskHubName(options.taskHubName);
    if (!options.workerId) throw new DurableConfigError('INVALID_WORKER_ID', 'workerId', 'workerId must not be empty');
    if (!options.connectionString) throw new DurableConfigError('MISSING_CONNECTION', 'connectionString', 'connectionString must be set');
    this.clock = options.clock;
    this.log = options.logger.child({ component: 'durable', hub: this.taskHubName });
    this.bg = new HubTable(options.connectionString, this.taskHubName, this.log, { stopping: () => this.stopping });
    this.client = new HubTable(options.connectionString, this.taskHubName, this.log, {
      stopping: () => false,
      budgetMs: tuning.clientRetryBudgetMs,
    });
    this.timers = new TimerQueue(this.clock, (instanceId) => this.requestStep(instanceId));
    this.stepSlots = new Semaphore(tuning.maxConcurrentSteps);
    this.activitySlots = new Semaphore(tuning.maxConcurrentActivities);
    this.lease = new HubLease(
      this.bg,
      this.clock,
      options.workerId,
      { durationMs: tuning.leaseDurationMs, renewEveryMs: tuning.leaseRenewEveryMs },
      this.log,
      () => this.track(this.recover()),
      () => undefined,
    );
  }

  // ---------------------------------------------------------------- lifecycle

  async run(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.bg.ensureTable();
    await this.lease.start();
    if (this.tuning.safetyScanIntervalMs > 0) {
      this.scanHandle = setInterval(() => {
        if (this.lease.isOwner && !this.stopping) this.track(this.scan());
      }, this.tuning.safetyScanIntervalMs);
      this.scanHandle.unref();
    }
    this.log.info({ workerId: this.options.workerId, owner: this.lease.isOwner }, 'durable: engine running');
  }

  async shutdown(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.scanHandle) clearInterval(this.scanHandle);
    this.timers.close();
    const pending = Promise.allSettled([...this.work]);
    let graceTimer: NodeJS.Timeout | undefined;
    const grace = new Promise<'timeout'>((resolve) => {
      graceTimer = setTimeout(() => resolve('timeout'), this.tuning.shutdownGraceMs);
    });
    const outcome = await Promise.race([pending.then(() => 'done' as const), grace]);
    if (graceTimer) clearTimeout(graceTimer);
    this.abandoned = true;
    if (outcome === 'timeout') this.log.warn({ inFlight: this.work.size }, 'durable: shutdown abandoned in-flight work (it stays in storage)');
    await this.lease.release();
    this.log.info('durable: engine stopped');
  }

  /**
   * Resolves once the engine has nothing to do: no step queued, running or waiting to be retried, no activity
   * running, no outbox delivery or scan in progress; checked twice, an event-loop turn apart, so that work started by
   * a callback that was about to run (a due timer) is seen. With a VirtualClock this is the moment time may move on.
   */
  async idle(): Promise<void> {
    let quiet = 0;
    while (quiet < 2) {
      if (this.abandoned) return;
      if (this.work.size > 0) {
        quiet = 0;
        await Promise.allSettled([...this.work]);
      } else if (this.queued.size > 0 || this.running.size > 0 || this.retryWaiting.size > 0) {
        quiet = 0;
        await new Promise((resolve) => setTimeout(resolve, 5));
      } else {
        quiet++;
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
  }

  private track<T>(promise: Promise<T>): void {
    const p = promise.catch((err: unknown) => {
      if (!(err instanceof StorageUnavailableError && this.stopping)) this.log.error({ error: describe(err) }, 'durable: background task failed');
    });
    this.work.add(p);
    void p.finally(() => this.work.delete(p));
  }

  private get processing(): boolean {
    return this.lease.isOwner && !this.stopping;
  }

  /** On lease acquisition: every unfinished instance, undelivered outbox and unread inbox gets a step. */
  private async recover(): Promise<void> {
    this.log.info('durable: recovering pending work');
    await this.scan();
  }

  private async scan(): Promise<void> {
    const instances = await this.bg.list(`RowKey eq ${quote(INSTANCE_ROW)}`, ['PartitionKey', 'RowKey', 'RuntimeStatus']);
    for (const row of instances) {
      if (!isTerminal(String(row.RuntimeStatus) as RuntimeStatus)) this.requestStep(instanceIdOf(row.partitionKey));
    }
    const messages = await this.bg.list(
      `(RowKey ge ${quote(OUTBOX_PREFIX)} and RowKey lt ${quote(`${OUTBOX_PREFIX}~`)}) or (RowKey ge ${quote(INBOX_PREFIX)} and RowKey lt ${quote(`${INBOX_PREFIX}~`)})`,
      ['PartitionKey', 'RowKey'],
    );
    for (const pk of new Set(messages.map((r) => r.partitionKey))) this.requestStep(instanceIdOf(pk));
  }

  // ---------------------------------------------------------------- steps

  private requestStep(instanceId: string): void {
    if (!this.processing) return;
    if (this.running.has(instanceId)) {
      this.again.add(instanceId);
      return;
    }
    if (this.queued.has(instanceId)) return;
    this.queued.add(instanceId);
    this.track(this.runStep(instanceId));
  }

  private async runStep(instanceId: string): Promise<void> {
    const release = await this.stepSlots.acquire();
    this.queued.delete(instanceId);
    if (this.running.has(instanceId)) {
      this.again.add(instanceId);
      release();
      return;
    }
    this.running.add(instanceId);
    try {
      await this.step(instanceId);
      this.stepBackoff.delete(instanceId);
    } catch (err) {
      if (this.stopping) return;
      const delay = Math.min(30_000, (this.stepBackoff.get(instanceId) ?? 500) * 2);
      this.stepBackoff.set(instanceId, delay);
      this.log.warn({ instanceId, error: describe(err), retryInMs: delay }, 'durable: step failed, will retry');
      this.retryWaiting.add(instanceId);
      setTimeout(() => {
        this.retryWaiting.delete(instanceId);
        this.requestStep(instanceId);
      }, delay).unref();
    } finally {
      this.running.delete(instanceId);
      release();
      if (this.again.delete(instanceId)) this.requestStep(instanceId);
    }
  }

  private async step(instanceId: string): Promise<void> {
    for (let loop = 0; loop < MAX_STEP_LOOPS; loop++) {
      if (!this.processing) return;
      const snap = await readPartition(this.bg, instanceId);
      const now = this.clock.now();
      this.forgetRecorded(instanceId, snap);
      const base = {
        record: snap.record,
        history: snap.history,
        inbox: snap.inbox,
        now,
        invoker: this.options.invoker,
        newExecutionId: () => randomUUID().replace(/-/g, ''),
      };
      let plan = await planStep(base);
      if (!hasChanges(plan)) {
        this.afterRead(instanceId, snap, now);
        return;
      }
      let built = this.buildTransaction(snap, plan);
      // Too much for one transaction: take fewer inputs (the rest wait for the next step). Only data that cannot be
      // stored even alone (one input, or none) fails the orchestration; an operation count never does.
      while (built.tooLarge && plan.inputs > 1) {
        plan = await planStep({ ...base, maxInputs: Math.floor(plan.inputs / 2) });
        built = this.buildTransaction(snap, plan);
      }
      if (built.tooManyOps) throw new Error(`step of ${instanceId} needs ${built.actions.length} table operations even with one input; deferred`);
      if (built.tooLarge && snap.record && !isTerminal(snap.record.status)) {
        plan = await planStep({ ...base, maxInputs: 1, forceFailure: `the step's data exceeds Azure Table limits (${built.tooLarge})` });
        built = this.buildTransaction(snap, plan);
      }
      try {
        await this.bg.transact(built.actions);
      } catch (err) {
        if (err instanceof ConflictError) {
          this.log.info({ instanceId, status: err.statusCode }, 'durable: step conflict, re-reading');
          continue;
        }
        throw err;
      }
      this.logOutcome(instanceId, plan);
      if (!this.abandoned) for (const work of plan.activities) this.dispatchActivity(work);
      if (built.outboxRow) this.deliverOutbox(built.outboxRow);
    }
    // Still busy after many commits in a row: yield to other instances and come back.
    this.again.add(instanceId);
  }

  private logOutcome(instanceId: string, plan: StepPlan): void {
    const name = plan.record?.name;
    switch (plan.outcome) {
      case 'started':
        this.log.info({ instanceId, name }, 'durable: instance started');
        break;
      case 'completed':
        this.log.info({ instanceId, name }, 'durable: instance completed');
        break;
      case 'failed':
        this.log.warn({ instanceId, name, reason: plan.failure }, 'durable: instance failed');
        break;
      case 'terminated':
        this.log.info({ instanceId, name }, 'durable: instance terminated');
        break;
      case 'continuedAsNew':
        this.log.debug({ instanceId, name }, 'durable: instance continued as new');
        break;
      case 'suspended':
      case 'resumed':
        this.log.info({ instanceId, name }, `durable: instance ${plan.outcome}`);
        break;
      default:
        break;
    }
  }

  private buildTransaction(snap: PartitionSnapshot, plan: StepPlan): BuiltStep {
    const pk = snap.partitionKey;
    const actions: TransactionAction[] = [];
    const sized: EntityProps[] = [];
    let outboxRow: Row | undefined;
    if (plan.record && snap.record) {
      const rec: InstanceRecord = { ...plan.record };
      if (plan.historyEvents.length > 0) {
        const execution = plan.historyExecutionId ?? snap.record.executionId;
        const seq = rec.historySeq++;
        chunkEvents(plan.historyEvents).forEach((text, part) => {
          const entity: TableEntity<EntityProps> = { partitionKey: pk, rowKey: historyRowKey(execution, seq, part) };
          putText(entity, 'Events', text);
          actions.push(['create', entity]);
          sized.push(entity);
        });
      }
      if (plan.outbox.length > 0) {
        const entity: TableEntity<EntityProps> = { partitionKey: pk, rowKey: outboxRowKey(rec.outboxSeq++) };
        putText(entity, 'Msgs', JSON.stringify(plan.outbox));
        actions.push(['create', entity]);
        sized.push(entity);
        outboxRow = { ...entity, etag: '*' };
      }
      const row = rowFromRecord(rec);
      actions.unshift(['update', row, 'Replace', { etag: snap.record.etag }]);
      sized.push(row);
    }
    for (const insert of plan.inboxInserts) {
      const entity = inboxEntity(pk, insert.rowKey, insert.at, insert.message);
      actions.push(['create', entity]);
      sized.push(entity);
    }
    for (const rowKey of plan.consumed) actions.push(['delete', { partitionKey: pk, rowKey }]);
    // Garbage of earlier executions goes along while the transaction has room.
    for (const rowKey of snap.staleHistory) {
      if (actions.length >= MAX_TRANSACTION_OPS) break;
      actions.push(['delete', { partitionKey: pk, rowKey }]);
    }
    const biggest = Math.max(0, ...sized.map(approxEntityBytes));
    const total = sized.reduce((sum, e) => sum + approxEntityBytes(e), 0);
    const result: BuiltStep = { actions };
    if (outboxRow) result.outboxRow = outboxRow;
    if (biggest > MAX_ENTITY_BYTES) result.tooLarge = `a row of ${biggest} bytes`;
    else if (total > MAX_TRANSACTION_BYTES) result.tooLarge = `a transaction of ${total} bytes`;
    else if (actions.length > MAX_TRANSACTION_OPS) {
      result.tooLarge = `${actions.length} operations`;
      result.tooManyOps = true;
    }
    return result;
  }

  /** Nothing to commit: make sure everything this instance waits for is under way. */
  private afterRead(instanceId: string, snap: PartitionSnapshot, now: number): void {
    for (const row of snap.outbox) this.deliverOutbox(row);
    if (snap.staleHistory.length > 0) this.track(this.bg.deleteRows(snap.partitionKey, snap.staleHistory));
    for (const entry of snap.inbox) if (entry.at > now) this.timers.add(entry.at, instanceId);
    const rec = snap.record;
    if (!rec || isTerminal(rec.status)) return;
    const open = openTasks(snap.history);
    const results = new Set(snap.inbox.map((e) => e.rowKey));
    for (const [taskId, scheduled] of open.activities) {
      if (results.has(taskResultKey(rec.executionId, taskId))) continue;
      const work: ActivityWork = { instanceId, executionId: rec.executionId, taskId, name: String(scheduled.Name) };
      if (typeof scheduled.Input === 'string') work.input = scheduled.Input;
      this.dispatchActivity(work);
    }
    if (rec.status !== 'Suspended') for (const fireAt of open.timers.values()) if (fireAt > now) this.timers.add(fireAt, instanceId);
  }

  // ---------------------------------------------------------------- activities

  private activityKey(work: Pick<ActivityWork, 'instanceId' | 'executionId' | 'taskId'>): string {
    return `${work.executionId}|${work.taskId}`;
  }

  private forgetRecorded(instanceId: string, snap: PartitionSnapshot): void {
    const keys = this.recorded.get(instanceId);
    if (!keys) return;
    const rec = snap.record;
    const open = rec ? openTasks(snap.history).activities : new Map<number, EventBody>();
    for (const key of keys) {
      const [execution, task] = key.split('|');
      if (!rec || execution !== rec.executionId || !open.has(Number(task))) keys.delete(key);
    }
    if (keys.size === 0) this.recorded.delete(instanceId);
  }

  private dispatchActivity(work: ActivityWork): void {
    if (!this.processing || this.abandoned) return;
    const key = `${work.instanceId}#${this.activityKey(work)}`;
    if (this.inFlight.has(key) || this.recorded.get(work.instanceId)?.has(this.activityKey(work))) return;
    const run = this.runActivity(work).finally(() => this.inFlight.delete(key));
    this.inFlight.set(key, run);
    this.track(run);
  }

  private async runActivity(work: ActivityWork): Promise<void> {
    const release = await this.activitySlots.acquire();
    let event: EventBody;
    try {
      if (this.stopping) return;
      const invoker = this.options.invoker;
      if (!invoker.hasActivity(work.name)) {
        const message = `The function '${work.name}' doesn't exist, is disabled, or is not an activity function.`;
        event = taskFailed(work.taskId, { name: 'Error', message });
      } else {
        try {
          const input = work.input === undefined ? undefined : (JSON.parse(work.input) as unknown);
          const result = await invoker.invokeActivity(work.name, input, { instanceId: work.instanceId, taskId: work.taskId });
          event = { EventType: EventType.TaskCompleted, TaskScheduledId: work.taskId, Result: JSON.stringify(result === undefined ? null : result) };
        } catch (err) {
          const e = err instanceof Error ? err : new Error(String(err));
          event = taskFailed(work.taskId, e);
        }
      }
    } finally {
      release();
    }
    if (this.abandoned) return;
    const message: InboxMessage = { type: 'event', executionId: work.executionId, event };
    const rowKey = taskResultKey(work.executionId, work.taskId);
    try {
      await this.bg.transact([['create', inboxEntity(partitionKeyOf(work.instanceId), rowKey, this.clock.now(), message)]]);
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      // Already recorded by an earlier run of the same task: recorded once.
    }
    let keys = this.recorded.get(work.instanceId);
    if (!keys) this.recorded.set(work.instanceId, (keys = new Set()));
    keys.add(this.activityKey(work));
    this.requestStep(work.instanceId);
  }

  // ---------------------------------------------------------------- outbox

  private deliverOutbox(row: Row): void {
    const id = `${row.partitionKey}/${row.rowKey}`;
    if (this.delivering.has(id) || !this.processing) return;
    this.delivering.add(id);
    this.track(
      (async () => {
        const messages = JSON.parse(getText(row, 'Msgs') ?? '[]') as OutboxMessage[];
        for (const m of messages) {
          if (m.type === 'createSub') await this.deliverCreateSub(m);
          else await this.deliverToParent(m.parent, m.event);
        }
        await this.bg.deleteRows(row.partitionKey, [row.rowKey]);
      })().finally(() => this.delivering.delete(id)),
    );
  }

  private async deliverCreateSub(m: Extract<OutboxMessage, { type: 'createSub' }>): Promise<void> {
    for (let attempt = 0; attempt < 10; attempt++) {
      const pk = partitionKeyOf(m.instanceId);
      const row = await this.bg.get(pk, INSTANCE_ROW);
      const existing = row ? recordFromRow(row) : undefined;
      if (existing && sameParent(existing.parent, m.parent)) break; // delivered before
      if (existing && !isTerminal(existing.status)) {
        await this.deliverToParent(m.parent, {
          EventType: EventType.SubOrchestrationInstanceFailed,
          TaskScheduledId: m.parent.taskId,
          Reason: `An instance with id ${m.instanceId} already exists and is not in a terminal state`,
          FailureDetails: { ErrorType: 'InstanceAlreadyExistsError', ErrorMessage: `An instance with id ${m.instanceId} already exists` },
        });
        return;
      }
      try {
        await this.bg.transact(this.startActions(m.instanceId, m.name, m.input, this.clock.now(), existing, m.parent));
        break;
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
      }
    }
    this.requestStep(m.instanceId);
  }

  private async deliverToParent(parent: ParentRef, event: EventBody): Promise<void> {
    const message: InboxMessage = { type: 'event', executionId: parent.executionId, event };
    try {
      await this.bg.transact([['create', inboxEntity(partitionKeyOf(parent.instanceId), subResultKey(parent.executionId, parent.taskId), this.clock.now(), message)]]);
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
    }
    this.requestStep(parent.instanceId);
  }

  /** The transaction that (re)creates an instance: its row (insert, or replace by ETag) and its start message. */
  private startActions(instanceId: string, name: string, input: string | undefined, at: number, existing: InstanceRecord | undefined, parent?: ParentRef): TransactionAction[] {
    const now = this.clock.now();
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
    };
    if (input !== undefined) record.input = input;
    if (parent) record.parent = parent;
    const pk = partitionKeyOf(instanceId);
    const message: InboxMessage = { type: 'start', executionId, name, ...(input !== undefined ? { input } : {}), ...(parent ? { parent } : {}) };
    const row = rowFromRecord(record);
    return [
      existing ? ['update', row, 'Replace', { etag: existing.etag }] : ['create', row],
      ['create', inboxEntity(pk, startMessageKey(executionId), at, message)],
    ];
  }

  // ---------------------------------------------------------------- client operations

  async start(orchestratorName: string, options: StartOptions): Promise<string> {
    const instanceId = validateInstanceId(options.instanceId ?? randomUUID().replace(/-/g, ''));
    if (!orchestratorName) throw new DurableConfigError('INVALID_NAME', 'orchestratorName', 'orchestratorName must not be empty');
    const input = toJsonText(options.input);
    const at = options.startAt ?? this.clock.now();
    for (let attempt = 0; ; attempt++) {
      const row = await this.client.get(partitionKeyOf(instanceId), INSTANCE_ROW);
      const existing = row ? recordFromRow(row) : undefined;
      const policy = this.options.overridableExistingInstanceStates ?? 'NonRunningStates';
      if (existing && policy === 'NonRunningStates' && !isTerminal(existing.status)) throw new InstanceAlreadyExistsError(instanceId);
      try {
        await this.client.transact(this.startActions(instanceId, orchestratorName, input, at, existing));
        break;
      } catch (err) {
        if (!(err instanceof ConflictError) || attempt >= 5) throw err;
      }
    }
    this.log.info({ instanceId, name: orchestratorName, ...(options.startAt ? { startAt: new Date(at).toISOString() } : {}) }, 'durable: instance scheduled');
    if (at > this.clock.now()) this.timers.add(at, instanceId);
    else this.requestStep(instanceId);
    return instanceId;
  }

  async getStatus(instanceId: string, opts: { showHistory?: boolean; showHistoryOutput?: boolean; showInput?: boolean } = {}): Promise<InstanceStatus | undefined> {
    const row = await this.client.get(partitionKeyOf(instanceId), INSTANCE_ROW);
    if (!row) return undefined;
    const record = recordFromRow(row);
    const status = statusOf(record, opts.showInput ?? true);
    if (opts.showHistory) {
      const prefix = historyPrefix(record.executionId);
      const rows = await this.client.list(
        `PartitionKey eq ${quote(partitionKeyOf(instanceId))} and RowKey ge ${quote(prefix)} and RowKey lt ${quote(`${prefix}~`)}`,
      );
      const events = rows.flatMap((r) => JSON.parse(getText(r, 'Events') ?? '[]') as HistoryEventJson[]);
      status.history = opts.showHistoryOutput ? events : events.map(({ Result: _r, ...rest }) => rest);
    }
    return status;
  }

  async query(query: InstanceQuery): Promise<{ instances: InstanceStatus[]; continuationToken?: string }> {
    const filter = instanceFilter(query);
    const showInput = query.showInput ?? false;
    if (query.top !== undefined) {
      const page = await this.client.page(filter, Math.max(1, query.top), query.continuationToken);
      const instances = page.rows.map((r) => statusOf(recordFromRow(r), showInput));
      return page.continuationToken ? { instances, continuationToken: page.continuationToken } : { instances };
    }
    const rows = await this.client.list(filter);
    return { instances: rows.map((r) => statusOf(recordFromRow(r), showInput)) };
  }

  private async enqueue(instanceId: string, message: InboxMessage): Promise<void> {
    const pk = partitionKeyOf(instanceId);
    const row = await this.client.get(pk, INSTANCE_ROW);
    if (!row) throw new InstanceNotFoundError(instanceId);
    const at = this.clock.now();
    await this.client.transact([['create', inboxEntity(pk, externalMessageKey(at, randomUUID()), at, message)]]);
    this.requestStep(instanceId);
  }

  async raiseEvent(instanceId: string, eventName: string, data: unknown): Promise<void> {
    await this.enqueue(instanceId, { type: 'event', event: { EventType: EventType.EventRaised, Name: eventName, Input: toJsonText(data) } });
  }

  async terminate(instanceId: string, reason: string): Promise<void> {
    await this.enqueue(instanceId, { type: 'terminate', reason });
  }

  async suspend(instanceId: string, reason: string): Promise<void> {
    await this.enqueue(instanceId, { type: 'suspend', reason });
  }

  async resume(instanceId: string, reason: string): Promise<void> {
    await this.enqueue(instanceId, { type: 'resume', reason });
  }

  async purge(instanceId: string): Promise<number> {
    const pk = partitionKeyOf(instanceId);
    const row = await this.client.get(pk, INSTANCE_ROW);
    if (!row || !isTerminal(String(row.RuntimeStatus) as RuntimeStatus)) return 0;
    const executionId = String(row.ExecutionId);
    try {
      await this.client.retrying('deleteEntity', () => this.client.client.deleteEntity(pk, INSTANCE_ROW, { etag: row.etag }));
    } catch (err) {
      const status = (err as { statusCode?: number }).statusCode;
      if (status === 412 || status === 404) return 0; // changed or gone meanwhile
      throw err;
    }
    // The rest of the partition; a new instance started meanwhile under the same id keeps its own rows.
    const rows = await this.client.list(`PartitionKey eq ${quote(pk)}`, ['PartitionKey', 'RowKey']);
    const doomed = rows
      .map((r) => r.rowKey)
      .filter((rk) => rk !== INSTANCE_ROW && !(rk.startsWith(`${INBOX_PREFIX}x~`) && rk !== startMessageKey(executionId)));
    await this.client.deleteRows(pk, doomed);
    this.log.info({ instanceId }, 'durable: instance purged');
    return 1;
  }

  async purgeMany(query: Pick<InstanceQuery, 'runtimeStatus' | 'createdTimeFrom' | 'createdTimeTo'>): Promise<number> {
    const statuses = (query.runtimeStatus ?? [...TERMINAL_STATUSES]).filter((s) => isTerminal(s));
    if (statuses.length === 0) return 0;
    const rows = await this.client.list(instanceFilter({ ...query, runtimeStatus: statuses }), ['PartitionKey', 'RowKey']);
    let count = 0;
    for (const row of rows) count += await this.purge(instanceIdOf(row.partitionKey));
    return count;
  }
}

function hasChanges(plan: StepPlan): boolean {
  return plan.consumed.length > 0 || plan.historyEvents.length > 0 || plan.inboxInserts.length > 0 || plan.outbox.length > 0;
}

function chunkEvents(events: HistoryEventJson[]): string[] {
  const parts: string[] = [];
  let current: HistoryEventJson[] = [];
  let size = 2;
  for (const event of events) {
    const length = JSON.stringify(event).length + 1;
    if (current.length > 0 && size + length > HISTORY_ROW_CHARS) {
      parts.push(JSON.stringify(current));
      current = [];
      size = 2;
    }
    current.push(event);
    size += length;
  }
  if (current.length > 0) parts.push(JSON.stringify(current));
  return parts;
}

function inboxEntity(partitionKey: string, rowKey: string, at: number, message: InboxMessage): TableEntity<EntityProps> {
  const entity: TableEntity<EntityProps> = { partitionKey, rowKey, At: at };
  putText(entity, 'Msg', JSON.stringify(message));
  return entity;
}

function taskFailed(taskId: number, error: { name: string; message: string; stack?: string }): EventBody {
  const failureDetails: Record<string, unknown> = { ErrorType: error.name || 'Error', ErrorMessage: error.message };
  if (error.stack) failureDetails.StackTrace = error.stack;
  return {
    EventType: EventType.TaskFailed,
    TaskScheduledId: taskId,
    Reason: error.message,
    Details: error.stack ?? '',
    FailureDetails: failureDetails,
  };
}

function sameParent(a: ParentRef | undefined, b: ParentRef): boolean {
  return !!a && a.instanceId === b.instanceId && a.executionId === b.executionId && a.taskId === b.taskId;
}

function statusOf(record: InstanceRecord, showInput: boolean): InstanceStatus {
  return {
    name: record.name,
    instanceId: record.instanceId,
    runtimeStatus: record.status,
    input: showInput ? parseJson(record.input) : undefined,
    output: parseJson(record.output),
    customStatus: parseJson(record.customStatus),
    createdTime: new Date(record.createdTime).toISOString(),
    lastUpdatedTime: new Date(record.lastUpdatedTime).toISOString(),
  };
}

function instanceFilter(query: Pick<InstanceQuery, 'runtimeStatus' | 'createdTimeFrom' | 'createdTimeTo' | 'instanceIdPrefix'>): string {
  const parts = [`RowKey eq ${quote(INSTANCE_ROW)}`];
  if (query.runtimeStatus && query.runtimeStatus.length > 0) {
    parts.push(`(${query.runtimeStatus.map((s) => `RuntimeStatus eq ${quote(s)}`).join(' or ')})`);
  }
  if (query.createdTimeFrom) parts.push(`CreatedTime ge ${quote(query.createdTimeFrom.toISOString())}`);
  if (query.createdTimeTo) parts.push(`CreatedTime le ${quote(query.createdTimeTo.toISOString())}`);
  if (query.instanceIdPrefix) {
    const prefix = partitionKeyOf(query.instanceIdPrefix);
    parts.push(`PartitionKey ge ${quote(prefix)} and PartitionKey lt ${quote(`${prefix}\uffff`)}`);
  }
  return parts.join(' and ');
}
