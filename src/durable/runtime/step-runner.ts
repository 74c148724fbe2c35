/**
 * Running steps: one at a time per instance, a bounded number at once, each load → plan → commit (ETag-guarded) →
 * effects; a failed step is retried later with back-off. The state a step starts from comes from the InstanceCache
 * (no read in steady state); a conflict on commit drops it and the step plans again from a fresh read. With nothing
 * to commit, a step makes sure everything the instance waits for (activities, timers, outbox) is under way.
 */
import { randomUUID } from 'node:crypto';
import type { ActivityRunner } from './activity-runner.js';
import type { EngineContext } from '../engine-context.js';
import { stepDuration, stepsTotal } from '../engine-metrics.js';
import type { InstanceCache, Refresh } from './instance-cache.js';
import { INSTANCE_ROW, taskResultKey } from '../keys.js';
import { isTerminal, NO_WAKE, sortInbox, type InboxEntry } from '../instance-state.js';
import { nextWakeOf } from '../planner/next-wake.js';
import type { OutboxDelivery } from './outbox-delivery.js';
import type { PartitionSnapshot, PreparedStep } from '../store/hub-store.js';
import { openTasks } from '../planner/open-tasks.js';
import { planWithNewExecution } from '../planner/step-chain.js';
import { hasChanges, MAX_MESSAGES_PER_STEP, type ActivityWork, type StepInput, type StepPlan } from '../planner/step-plan.js';
import { ConflictError, StorageUnavailableError } from '../errors.js';
import { describe, isTransient } from '../store/storage-failures.js';
import { finishPoisoned } from '../planner/execution-end.js';
import { WorkQueue } from './work-queue.js';
import { backoffMs } from '../backoff.js';
import { afterHeld, HOLD_MS, mayHold, mergeHeld, type HeldStep } from './held-step.js';

const MAX_STEP_LOOPS = 25;
/** A failed step is retried after 1 s, doubling per failure of that instance, at most 30 s. */
const STEP_RETRY = { firstMs: 1_000, maxMs: 30_000 };

/** A planned step and the transaction that commits it. */
interface Decided {
  plan: StepPlan;
  built: PreparedStep;
}

/** A held step, since when (clock time), how to cancel its HOLD_MS timer, and whether it is due to go alone. */
type Holding = HeldStep & { since: number; cancel: () => void; due?: boolean };

export class StepRunner {
  /** Instances waiting for a step slot, in order of the time their work became due. */
  private readonly ready = new WorkQueue();
  private readonly running = new Set<string>();
  /** Instances asked for again while their step ran, with the time that work became due. */
  private readonly again = new Map<string, number>();
  /** Failed steps in a row per instance (the retry's back-off); a step that succeeds clears it. */
  private readonly stepFailures = new Map<string, number>();
  /** Instances whose failed step waits (real time) to be retried. */
  private readonly retryWaiting = new Set<string>();
  /** Activity results held in memory until a commit takes them (never stored as rows of their own). */
  private readonly results = new Map<string, Map<string, InboxEntry>>();
  /** Steps held back from their commit until the instance's next step (held-step.ts), by instance. */
  private readonly held = new Map<string, Holding>();
  /** Bumped when all in-memory state is dropped: a step that began before must not act on what it computed. */
  private generation = 0;

  constructor(
    private readonly ctx: EngineContext,
    private readonly cache: InstanceCache,
    private readonly activities: ActivityRunner,
    private readonly outbox: OutboxDelivery,
    private readonly maxConcurrentSteps: number,
    /** Hold a step that starts nothing until the instance's next step, due soon, commits it too (held-step.ts). */
    private readonly holdSteps: boolean,
  ) {}

  /** A step is queued, running or waiting to be retried (or held, if `countHeld`). */
  busy(countHeld: boolean): boolean {
    return this.ready.size > 0 || this.running.size > 0 || this.retryWaiting.size > 0 || (countHeld && this.held.size > 0);
  }

  /** `dueAt`: when the work became due (a timer's fire time; now for a message or result). */
  requestStep(instanceId: string, refresh?: Refresh, dueAt = this.ctx.clock.now()): void {
    if (refresh) this.cache.markStale(instanceId, refresh);
    if (!this.ctx.committing) return;
    if (this.running.has(instanceId)) {
      this.again.set(instanceId, Math.min(dueAt, this.again.get(instanceId) ?? dueAt));
      return;
    }
    this.ready.offer(instanceId, dueAt);
    this.pump();
  }

  /** Starts steps from the ready queue, earliest due first, while slots are free. */
  private pump(): void {
    while (this.running.size < this.maxConcurrentSteps) {
      const next = this.ready.take();
      if (!next) return;
      this.running.add(next.key);
      this.ctx.track(this.runStep(next.key));
    }
  }

  /** An activity's result: kept in memory and taken by the instance's next commit. */
  addResult(instanceId: string, entry: InboxEntry): void {
    let map = this.results.get(instanceId);
    if (!map) this.results.set(instanceId, (map = new Map<string, InboxEntry>()));
    map.set(entry.rowKey, { ...entry, volatile: true });
    this.requestStep(instanceId);
  }

  /** The lease is lost (or the engine stops owning): forget every instance's state and result held in memory. */
  dropAll(): void {
    this.generation++;
    this.results.clear();
    for (const held of this.held.values()) held.cancel();
    this.held.clear();
    this.cache.clear();
    this.stepFailures.clear();
    this.ready.clear();
  }

  private async runStep(instanceId: string): Promise<void> {
    // Its slot is taken (pump); the step itself begins on a later turn, as callers expect of a request.
    await Promise.resolve();
    try {
      await this.step(instanceId);
      this.stepFailures.delete(instanceId);
    } catch (err) {
      this.cache.drop(instanceId);
      if (this.ctx.stopping) return;
      const failures = (this.stepFailures.get(instanceId) ?? 0) + 1;
      this.stepFailures.set(instanceId, failures);
      const delay = backoffMs(failures, STEP_RETRY);
      this.ctx.log.warn({ instanceId, error: describe(err), retryInMs: delay }, 'durable: step failed, will retry');
      this.retryWaiting.add(instanceId);
      setTimeout(() => {
        this.retryWaiting.delete(instanceId);
        this.ctx.requestStep(instanceId);
      }, delay).unref();
    } finally {
      this.running.delete(instanceId);
      const againAt = this.again.get(instanceId);
      if (againAt !== undefined) {
        this.again.delete(instanceId);
        this.ctx.requestStep(instanceId, undefined, againAt);
      }
      this.pump();
    }
  }

  /** The instance's committed state: cached, or its inbox read again, or the whole partition read. */
  private async load(instanceId: string): Promise<PartitionSnapshot> {
    const { snap, refresh, mark } = this.cache.peek(instanceId);
    if (snap && !refresh) return snap;
    if (snap && refresh === 'inbox') {
      const inbox = await this.ctx.store.readInbox(instanceId);
      return this.cache.replaceInbox(instanceId, inbox, mark) ?? (await this.readAll(instanceId, this.cache.peek(instanceId).mark));
    }
    return this.readAll(instanceId, mark);
  }

  /** `mark`: taken before the read, so that a message marked while it ran is read again by the next load. */
  private async readAll(instanceId: string, mark: number): Promise<PartitionSnapshot> {
    const snap = await this.ctx.store.loadInstance(instanceId);
    this.cache.put(instanceId, snap, mark);
    return snap;
  }

  /** The snapshot a plan starts from: the stored state plus the results held in memory. */
  private withResults(instanceId: string, snap: PartitionSnapshot): PartitionSnapshot {
    const held = this.results.get(instanceId);
    if (!held || held.size === 0) return snap;
    // A held step's untaken results are in its inserts already (held-step.ts): not twice.
    const fresh = [...held.values()].filter((entry) => !snap.inbox.some((e) => e.volatile && e.rowKey === entry.rowKey));
    return { ...snap, inbox: sortInbox([...snap.inbox, ...fresh]) };
  }

  private async step(instanceId: string): Promise<void> {
    const generation = this.generation;
    for (let loop = 0; loop < MAX_STEP_LOOPS; loop++) {
      if (!this.ctx.committing) return;
      const started = performance.now();
      const stored = await this.load(instanceId);
      if (generation !== this.generation) return;
      const held = this.heldOn(instanceId, stored);
      const snap = this.withResults(instanceId, held ? afterHeld(stored, held.plan) : stored);
      const now = this.ctx.clock.now();
      const base: StepInput = {
        record: snap.record,
        history: snap.history,
        inbox: snap.inbox,
        now,
        invoker: this.ctx.options.invoker,
        newExecutionId: () => randomUUID().replace(/-/g, ''),
      };
      const decided = held ? await this.decideOnHeld(stored, snap, base, held) : await this.decide(instanceId, snap, base);
      if (!decided) {
        this.afterRead(instanceId, snap, now);
        return;
      }
      if (this.holds(snap, decided.plan, now) && !held?.due) {
        this.hold(instanceId, stored, decided.plan, held);
        return;
      }
      if (!(await this.commitDecided(instanceId, stored, snap, base, decided, generation))) return;
      stepsTotal.inc();
      stepDuration.observe((performance.now() - started) / 1000);
    }
    // Still busy after many commits in a row: yield to other instances and come back.
    this.again.set(instanceId, Math.min(this.ctx.clock.now(), this.again.get(instanceId) ?? Infinity));
  }

  /**
   * Commits a decided step and applies it to the cache; its effects start. False when the loop must stop (the state
   * was dropped meanwhile); a conflict drops the cached state, and the loop plans again from a fresh read.
   */
  private async commitDecided(instanceId: string, stored: PartitionSnapshot, snap: PartitionSnapshot, base: StepInput, decided: Decided, generation: number): Promise<boolean> {
    let { plan, built } = decided;
    let outcome = await this.commit(instanceId, built);
    if ('refused' in outcome && snap.record && !isTerminal(snap.record.status)) {
      // The storage refused this step for good: fail the instance with a record that always fits.
      ({ plan, built } = this.poisoned(snap, base, `the storage refused the step's data (${outcome.refused})`));
      outcome = await this.commit(instanceId, built);
    }
    this.release(instanceId); // committed with this step, or to be planned again from what the storage holds
    if ('refused' in outcome) throw new Error(`step of ${instanceId} refused by the storage: ${outcome.refused}`);
    if ('conflict' in outcome) {
      this.cache.drop(instanceId);
      return true;
    }
    if (generation !== this.generation) return false;
    this.cache.applyCommit(instanceId, stored, plan, built, outcome.etags.get(INSTANCE_ROW));
    this.forgetResults(instanceId, plan);
    this.logOutcome(instanceId, plan);
    if (!this.ctx.abandoned) for (const work of plan.activities) this.activities.dispatchActivity(work);
    if (built.outbox) this.outbox.deliverOutbox(built.outbox);
    return true;
  }

  // ------------------------------------------------------------ held steps (held-step.ts)

  /** The instance's held step, if it still stands on the stored state (another writer's commit voids it). */
  private heldOn(instanceId: string, stored: PartitionSnapshot): Holding | undefined {
    const held = this.held.get(instanceId);
    if (held && held.etag !== stored.record?.etag) this.release(instanceId);
    return this.held.get(instanceId);
  }

  private holds(snap: PartitionSnapshot, plan: StepPlan, now: number): boolean {
    return this.holdSteps && this.ctx.processing && mayHold(snap, plan, now);
  }

  /** Keeps the plan (a held one merged into it keeps its time) for the instance's next step to commit. */
  private hold(instanceId: string, stored: PartitionSnapshot, plan: StepPlan, before?: Holding): void {
    const since = before?.since ?? this.ctx.clock.now();
    const cancel = before?.cancel ?? this.ctx.clock.at(since + HOLD_MS, () => this.flush(instanceId));
    this.held.set(instanceId, { plan, etag: stored.record?.etag ?? '', since, cancel });
    this.forgetResults(instanceId, plan); // the results it took are in its history now, and its untaken ones in its inserts
    // What the instance waits for now (its new timer) is armed as after a commit.
    this.afterRead(instanceId, this.withResults(instanceId, afterHeld(stored, plan)), this.ctx.clock.now());
  }

  /** The held step of the instance goes alone at its next step. */
  private flush(instanceId: string): void {
    const held = this.held.get(instanceId);
    if (!held) return;
    held.due = true;
    this.requestStep(instanceId);
  }

  /** Every held step goes alone (shutdown; idle, where a test reads what storage holds). */
  flushAll(): void {
    for (const instanceId of [...this.held.keys()]) this.flush(instanceId);
  }

  private release(instanceId: string): void {
    this.held.get(instanceId)?.cancel();
    this.held.delete(instanceId);
  }

  /**
   * The next step on top of a held one, as one commit. The held step goes alone when it is due (HOLD_MS, shutdown,
   * idle) and nothing new came, or when the two do not fit one commit together.
   */
  private async decideOnHeld(stored: PartitionSnapshot, snap: PartitionSnapshot, base: StepInput, held: Holding): Promise<Decided | undefined> {
    const alone = (): Decided => ({ plan: held.plan, built: this.ctx.store.prepareStep(stored, held.plan) });
    const next = await this.planFrom(snap, base, {});
    if (!hasChanges(next)) return held.due || !this.ctx.processing ? alone() : undefined;
    const plan = mergeHeld(held.plan, next, stored.record?.executionId);
    const built = this.ctx.store.prepareStep(stored, plan);
    return built.tooLarge ? alone() : { plan, built };
  }

  /** Commits a built step: the new ETags, or why not (a conflict: another writer won; refused: for good). */
  private async commit(instanceId: string, built: PreparedStep): Promise<{ etags: Map<string, string> } | { conflict: true } | { refused: string }> {
    try {
      return { etags: await this.ctx.store.commitStep(built) };
    } catch (err) {
      if (err instanceof ConflictError) {
        this.ctx.log.info({ instanceId, status: err.statusCode }, 'durable: step conflict, re-reading');
        return { conflict: true };
      }
      if (err instanceof StorageUnavailableError || isTransient(err)) throw err;
      const refused = describe(err);
      this.ctx.log.warn({ instanceId, error: refused }, 'durable: the storage refused a step');
      return { refused };
    }
  }

  /** The payload-free failure of an instance whose step cannot be stored (see finishPoisoned). */
  private poisoned(snap: PartitionSnapshot, base: StepInput, reason: string): Decided {
    const plan = finishPoisoned(base, reason, MAX_MESSAGES_PER_STEP);
    if (plan.record) plan.record.nextWakeAt = NO_WAKE;
    return { plan, built: this.ctx.store.prepareStep(snap, plan) };
  }

  /** The orchestrator's next step from `snap`, with the record's wake time once it is committed. */
  private async planFrom(snap: PartitionSnapshot, base: StepInput, extra: Pick<StepInput, 'maxInputs' | 'forceFailure'>): Promise<StepPlan> {
    const plan = await planWithNewExecution({ ...base, ...extra });
    keepUntakenResults(plan, snap);
    if (plan.record) plan.record.nextWakeAt = this.wakeAfter(snap, plan, base.now);
    return plan;
  }

  /** Plans the step and builds its transaction within the storage limits; undefined when there is nothing to commit. */
  private async decide(instanceId: string, snap: PartitionSnapshot, base: StepInput): Promise<Decided | undefined> {
    let plan = await this.planFrom(snap, base, {});
    if (!hasChanges(plan)) return undefined;
    let built = this.ctx.store.prepareStep(snap, plan);
    // Too much for one transaction: take fewer inputs (the rest wait for the next step). Only data that cannot be
    // stored even alone (one input, or none) fails the orchestration; an operation count never does.
    while (built.tooLarge && plan.inputs > 1) {
      plan = await this.planFrom(snap, base, { maxInputs: Math.floor(plan.inputs / 2) });
      built = this.ctx.store.prepareStep(snap, plan);
    }
    if (built.tooManyOps) throw new Error(`step of ${instanceId} needs ${built.operations} storage operations even with one input; deferred`);
    if (built.tooLarge && snap.record && !isTerminal(snap.record.status)) {
      const reason = `the step's data exceeds Azure Table limits (${built.tooLarge})`;
      plan = await this.planFrom(snap, base, { maxInputs: 1, forceFailure: reason });
      built = this.ctx.store.prepareStep(snap, plan);
      // Even the failure carries too much (a huge input or start message): fail it with no payload at all.
      if (built.tooLarge) return this.poisoned(snap, base, reason);
    }
    return { plan, built };
  }

  /** The record's wake time once this plan is committed (see next-wake.ts). */
  private wakeAfter(snap: PartitionSnapshot, plan: StepPlan, now: number): number | undefined {
    const rec = plan.record;
    if (!rec) return undefined;
    const sameExecution = rec.executionId === snap.record?.executionId;
    const history = sameExecution ? [...snap.history, ...plan.historyEvents] : plan.historyExecutionId === rec.executionId ? plan.historyEvents : [];
    const consumed = new Set(plan.consumed);
    const inbox = [...snap.inbox.filter((e) => !consumed.has(e.rowKey)), ...plan.inboxInserts];
    return nextWakeOf(rec, history, inbox, now);
  }

  /** Results the plan takes or stores as rows are no longer held in memory (a held step's, once it is held). */
  private forgetResults(instanceId: string, plan: StepPlan): void {
    const held = this.results.get(instanceId);
    if (!held) return;
    for (const rowKey of plan.consumed) held.delete(rowKey);
    for (const insert of plan.inboxInserts) held.delete(insert.rowKey);
    if (held.size === 0) this.results.delete(instanceId);
  }

  private logOutcome(instanceId: string, plan: StepPlan): void {
    const name = plan.record?.name;
    switch (plan.outcome) {
      case 'started':
        this.ctx.log.info({ instanceId, name }, 'durable: instance started');
        break;
      case 'completed':
        this.ctx.log.info({ instanceId, name }, 'durable: instance completed');
        break;
      case 'failed':
        this.ctx.log.warn({ instanceId, name, reason: plan.failure }, 'durable: instance failed');
        break;
      case 'terminated':
        this.ctx.log.info({ instanceId, name }, 'durable: instance terminated');
        break;
      case 'continuedAsNew':
        this.ctx.log.debug({ instanceId, name }, 'durable: instance continued as new');
        break;
      case 'suspended':
      case 'resumed':
      case 'rewound':
        this.ctx.log.info({ instanceId, name }, `durable: instance ${plan.outcome}`);
        break;
      default:
        break;
    }
  }

  /** Nothing to commit: make sure everything this instance waits for is under way. */
  private afterRead(instanceId: string, snap: PartitionSnapshot, now: number): void {
    const stored = this.cache.get(instanceId);
    for (const row of snap.outbox) this.outbox.deliverOutbox(row);
    if (snap.staleHistory.length > 0) this.ctx.track(this.ctx.store.deleteRows(instanceId, snap.staleHistory));
    if (stored) {
      // Handed to delivery and deletion: the cache no longer lists them (the safety net finds an outbox row again).
      stored.outbox = [];
      stored.staleHistory = [];
    }
    for (const entry of snap.inbox) if (entry.at > now) this.ctx.timers.add(entry.at, instanceId);
    const rec = snap.record;
    if (!rec || isTerminal(rec.status)) {
      if (snap.inbox.length === 0) this.cache.drop(instanceId);
      return;
    }
    const open = openTasks(snap.history);
    const results = new Set(snap.inbox.map((e) => e.rowKey));
    const held = this.results.get(instanceId);
    for (const [taskId, scheduled] of open.activities) {
      const key = taskResultKey(rec.executionId, taskId);
      // A result that arrived while this step ran is held in memory already: not run again.
      if (results.has(key) || held?.has(key)) continue;
      const work: ActivityWork = { instanceId, executionId: rec.executionId, taskId, name: String(scheduled.Name) };
      if (typeof scheduled.Input === 'string') work.input = scheduled.Input;
      this.activities.dispatchActivity(work);
    }
    if (rec.status !== 'Suspended') for (const fireAt of open.timers.values()) if (fireAt > now) this.ctx.timers.add(fireAt, instanceId);
  }
}

/** Results held in memory that this step does not take are stored in its commit, as inbox rows. */
function keepUntakenResults(plan: StepPlan, snap: PartitionSnapshot): void {
  const consumed = new Set(plan.consumed);
  for (const entry of snap.inbox) {
    if (entry.volatile && !consumed.has(entry.rowKey) && !plan.inboxInserts.some((i) => i.rowKey === entry.rowKey)) {
      plan.inboxInserts.push({ rowKey: entry.rowKey, at: entry.at, message: entry.message });
    }
  }
}
