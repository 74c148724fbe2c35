/**
 * The durable engine on Azure Table Storage: one table per task hub, one partition per instance, every
 * orchestration step committed as ONE entity-group transaction guarded by the instance row's ETag. Effects
 * (activities, timers, messages to other instances) are derived from committed rows, so a crash at any instant loses
 * nothing: on restart the same rows yield the same work. See README.md in this folder.
 *
 * This file holds the factory and the lifecycle (lease, safety scan, shutdown, idle); the parts live in
 * step-runner.ts, activity-runner.ts, outbox-delivery.ts, recovery-scan.ts and client-operations.ts.
 */
import type { Logger } from 'pino';
import type { Clock } from './clock/clock.js';
import { ActivityRunner } from './runtime/activity-runner.js';
import { BackgroundWork } from './runtime/background-work.js';
import { ClientOperations } from './client-operations.js';
import type { EngineContext } from './engine-context.js';
import { DEFAULT_LEASE_TIMING, HubLease } from './lease/hub-lease.js';
import { exposeEngineGauges } from './engine-metrics.js';
import { DurableConfigError } from './errors.js';
import { validateTaskHubName } from './names.js';
import { OutboxDelivery } from './runtime/outbox-delivery.js';
import { createdSnapshot, InstanceCache, type Refresh } from './runtime/instance-cache.js';
import type { InboxEntry, InstanceRecord } from './instance-state.js';
import { OUTBOX_PREFIX } from './keys.js';
import { recoverPendingWork, scanForMessages, type ScanContext } from './runtime/recovery-scan.js';
import { StepRunner } from './runtime/step-runner.js';
import { createAzureTablesStore } from './store/azure-tables/azure-tables-store.js';
import { DEFAULT_PARTITIONS } from './store/azure-tables/hub-layout.js';
import { StandbyWake } from './runtime/standby-wake.js';
import type { HubStore, StoreFactory } from './store/hub-store.js';
import { TimerQueue } from './runtime/timer-queue.js';
import type { DurableEngineOptions, DurableEngineRuntime, InstanceQuery, InstanceStatus, StartOptions } from './engine-api.js';

/** Knobs with production defaults; tests shorten them. Times are clock ms unless noted. */
export interface EngineTuning {
  leaseDurationMs?: number;
  leaseRenewEveryMs?: number;
  /** Real-time period of the safety-net scan for work written by other processes (0 disables). */
  safetyScanIntervalMs?: number;
  /**
   * Real-time period of the owner's poll of wake marks (client writes through a standby) while a standby is there
   * (seen at the safety scan); 0 disables the poll and the standby's presence rows.
   */
  wakePollIntervalMs?: number;
  maxConcurrentSteps?: number;
  maxConcurrentActivities?: number;
  /**
   * A step that takes only activity results and starts nothing is committed with the instance's next step when that
   * is due within HOLD_MS, before its effects start (a 1 s schedule: one commit per tick instead of two;
   * runtime/held-step.ts). Off: every step commits on its own.
   */
  holdSteps?: boolean;
  /** Real time shutdown waits for in-flight work. */
  shutdownGraceMs?: number;
  /** Real time a client operation keeps retrying an unavailable storage before it fails. */
  clientRetryBudgetMs?: number;
  /**
   * Partitions a NEW hub on Azure Tables spreads its instances over (1-16; store/azure-tables/hub-layout.ts): steps of
   * instances that share one commit together. A hub keeps the count it was created with.
   */
  partitionCount?: number;
}

const DEFAULTS: Required<EngineTuning> = {
  leaseDurationMs: DEFAULT_LEASE_TIMING.durationMs,
  leaseRenewEveryMs: DEFAULT_LEASE_TIMING.renewEveryMs,
  safetyScanIntervalMs: 30_000,
  wakePollIntervalMs: 500,
  // Steps wait for their partition's group commit (store/azure-tables/group-commit.ts) holding their slot: at 8, 316
  // schedules at 1 s behind 10 ms of storage latency were p50 430 ms late, at 32 p50 22 ms; on Azurite, 1,000 at 1 s
  // ran 653 ticks/s at 8 and 733 at 32 (docs/performance.md).
  maxConcurrentSteps: 32,
  maxConcurrentActivities: 16,
  holdSteps: true,
  shutdownGraceMs: 5_000,
  clientRetryBudgetMs: 20_000,
  partitionCount: DEFAULT_PARTITIONS,
};

/** `openStore`: the task hub's storage; by default Azure Table Storage at `options.connectionString`. */
export function createDurableEngine(options: DurableEngineOptions, tuning: EngineTuning = {}, openStore?: StoreFactory): DurableEngineRuntime {
  return new TaskHubEngine(options, { ...DEFAULTS, ...tuning }, openStore);
}

/** The engine over one task hub, on whatever store `openStore` gives (Azure Tables by default). */
class TaskHubEngine implements DurableEngineRuntime, EngineContext {
  readonly taskHubName: string;
  readonly clock: Clock;
  readonly log: Logger;
  readonly store: HubStore;
  readonly timers: TimerQueue;
  private readonly clientOps: ClientOperations;
  private readonly lease: HubLease;
  private readonly background: BackgroundWork;
  private readonly steps: StepRunner;
  private readonly cache = new InstanceCache();
  private readonly outbox: OutboxDelivery;
  stopping = false;
  abandoned = false;
  private started = false;
  private scanHandle: NodeJS.Timeout | undefined;
  private readonly wake: StandbyWake;
  private hideGauges: (() => void) | undefined;

  constructor(
    readonly options: DurableEngineOptions,
    private readonly tuning: Required<EngineTuning>,
    openStore?: StoreFactory,
  ) {
    this.taskHubName = validateTaskHubName(options.taskHubName);
    if (!options.workerId) throw new DurableConfigError('INVALID_WORKER_ID', 'workerId', 'workerId must not be empty');
    if (!options.connectionString) throw new DurableConfigError('MISSING_CONNECTION', 'connectionString', 'connectionString must be set');
    this.clock = options.clock;
    this.log = options.logger.child({ component: 'durable', hub: this.taskHubName });
    const open: StoreFactory = openStore ?? ((control) => createAzureTablesStore(options.connectionString, this.taskHubName, this.log, control, tuning.partitionCount));
    this.store = open({ stopping: () => this.stopping });
    const client = open({
      stopping: () => false,
      budgetMs: tuning.clientRetryBudgetMs,
    });
    this.clientOps = new ClientOperations(client, this);
    this.timers = new TimerQueue(this.clock, (instanceId, at) => this.requestStep(instanceId, undefined, at));
    this.background = new BackgroundWork(this.log, () => this.stopping);
    this.outbox = new OutboxDelivery(this);
    const activities = new ActivityRunner(this, tuning.maxConcurrentActivities, (instanceId, entry) => this.steps.addResult(instanceId, entry));
    this.steps = new StepRunner(this, this.cache, activities, this.outbox, tuning.maxConcurrentSteps, tuning.holdSteps);
    this.lease = new HubLease({
      store: this.store.lease,
      workerId: options.workerId,
      timing: { durationMs: tuning.leaseDurationMs, renewEveryMs: tuning.leaseRenewEveryMs },
      logger: this.log,
      onAcquired: () => this.track(recoverPendingWork(this.scanContext(++this.acquisitions))),
      // Intake stops by itself: `processing` asks the lease (monotonic time, no I/O) before every step loop, before an
      // activity is queued and before an outbox delivery. What was cached while owner is dropped: another owner may
      // change it meanwhile, and taking the lease again recovers everything from storage.
      onLost: () => this.dropState(),
    });
    this.wake = new StandbyWake({
      store: this.store,
      log: this.log,
      workerId: options.workerId,
      isOwner: () => this.processing,
      track: (promise) => this.track(promise),
      requestStep: (instanceId) => this.requestStep(instanceId, 'all'),
    });
  }

  // ---------------------------------------------------------------- lifecycle

  async run(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.store.ensureReady();
    await this.lease.start();
    this.hideGauges = exposeEngineGauges({ timersPending: () => this.timers.size, leaseOwned: () => this.lease.isOwner });
    if (this.tuning.safetyScanIntervalMs > 0) {
      this.scanHandle = setInterval(() => {
        if (this.lease.isOwner && !this.stopping) this.track(scanForMessages(this.scanContext()));
      }, this.tuning.safetyScanIntervalMs);
      this.scanHandle.unref();
    }
    if (this.tuning.wakePollIntervalMs > 0) this.wake.start(this.tuning.wakePollIntervalMs, this.tuning.safetyScanIntervalMs);
    this.log.info({ workerId: this.options.workerId, owner: this.lease.isOwner }, 'durable: engine running');
  }

  async shutdown(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.scanHandle) clearInterval(this.scanHandle);
    this.wake.stop();
    this.hideGauges?.();
    this.timers.close();
    this.steps.flushAll(); // held steps are committed before the lease is released
    const pending = this.background.settled();
    let graceTimer: NodeJS.Timeout | undefined;
    const grace = new Promise<'timeout'>((resolve) => {
      graceTimer = setTimeout(() => resolve('timeout'), this.tuning.shutdownGraceMs);
    });
    const outcome = await Promise.race([pending.then(() => 'done' as const), grace]);
    if (graceTimer) clearTimeout(graceTimer);
    this.abandoned = true;
    if (outcome === 'timeout') this.log.warn({ inFlight: this.background.size }, 'durable: shutdown abandoned in-flight work (it stays in storage)');
    await this.lease.release();
    this.log.info('durable: engine stopped');
  }

  /** See BackgroundWork.idle: nothing queued, running or waiting to be retried. */
  idle(options: { commitHeld?: boolean } = {}): Promise<void> {
    const commitHeld = options.commitHeld ?? true;
    return this.background.idle(
      () => this.abandoned,
      () => {
        if (commitHeld) this.steps.flushAll();
        return this.steps.busy(commitHeld);
      },
    );
  }

  // ---------------------------------------------------------------- context of the parts

  track<T>(promise: Promise<T>): void {
    this.background.track(promise);
  }

  get processing(): boolean {
    return this.lease.isOwner && !this.stopping;
  }

  get committing(): boolean {
    return this.lease.isOwner && !this.abandoned;
  }

  requestStep(instanceId: string, refresh?: Refresh, dueAt?: number): void {
    this.steps.requestStep(instanceId, refresh, dueAt);
  }

  instanceCreated(instanceId: string, record: InstanceRecord, start: InboxEntry): void {
    if (this.processing) this.cache.put(instanceId, createdSnapshot(record, start));
    this.requestStep(instanceId);
  }

  /**
   * Forgets every instance's cached state, the results and timers held in memory: for when the lease is lost (the
   * new owner may change anything). Taking the lease again recovers everything from storage. Activities already
   * running finish, but their results are dropped (the next owner runs them again: at least once).
   */
  dropState(): void {
    this.steps.dropAll();
    this.timers.clear();
    this.log.info('durable: cached instance state dropped');
  }

  /** Every taking of the lease counts: a recovery begun under an earlier one stops (scanContext's `owning`). */
  private acquisitions = 0;

  private scanContext(acquisition = this.acquisitions): ScanContext {
    return {
      owning: () => this.processing && this.acquisitions === acquisition,
      store: this.store,
      log: this.log,
      clock: this.clock,
      timers: this.timers,
      requestStep: (instanceId, refresh) => this.requestStep(instanceId, refresh),
      knowsRow: (instanceId, rowKey) =>
        rowKey.startsWith(OUTBOX_PREFIX) ? this.outbox.isDelivering(instanceId, rowKey) : this.cache.knowsInboxRow(instanceId, rowKey),
      cache: this.cache,
      onSignals: (signals) => this.wake.onSignals(signals),
    };
  }

  // ---------------------------------------------------------------- client operations

  start(orchestratorName: string, options: StartOptions): Promise<string> {
    return this.clientOps.start(orchestratorName, options);
  }

  getStatus(instanceId: string, opts?: { showHistory?: boolean; showHistoryOutput?: boolean; showInput?: boolean }): Promise<InstanceStatus | undefined> {
    return this.clientOps.getStatus(instanceId, opts);
  }

  query(query: InstanceQuery): Promise<{ instances: InstanceStatus[]; continuationToken?: string }> {
    return this.clientOps.query(query);
  }

  raiseEvent(instanceId: string, eventName: string, data: unknown): Promise<void> {
    return this.clientOps.raiseEvent(instanceId, eventName, data);
  }

  terminate(instanceId: string, reason: string): Promise<void> {
    return this.clientOps.terminate(instanceId, reason);
  }

  suspend(instanceId: string, reason: string): Promise<void> {
    return this.clientOps.suspend(instanceId, reason);
  }

  resume(instanceId: string, reason: string): Promise<void> {
    return this.clientOps.resume(instanceId, reason);
  }

  rewind(instanceId: string, reason: string): Promise<void> {
    return this.clientOps.rewind(instanceId, reason);
  }

  purge(instanceId: string): Promise<number> {
    return this.clientOps.purge(instanceId);
  }

  purgeMany(query: Pick<InstanceQuery, 'runtimeStatus' | 'createdTimeFrom' | 'createdTimeTo'>): Promise<number> {
    return this.clientOps.purgeMany(query);
  }
}
