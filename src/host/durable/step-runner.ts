/**
 * Running steps: one at a time per instance, a bounded number at once, each read → plan → commit (ETag-guarded) →
 * effects; a failed step is retried later with back-off. With nothing to commit, a step makes sure everything the
 * instance waits for (activities, timers, outbox) is under way.
 */
import { randomUUID } from 'node:crypto';
import type { ActivityRunner } from './activity-runner.js';
import type { EngineContext } from './engine-context.js';
import { taskResultKey } from './keys.js';
import { isTerminal } from './model.js';
import type { OutboxDelivery } from './outbox-delivery.js';
import { readPartition, type PartitionSnapshot } from './partition-snapshot.js';
import { Semaphore } from './semaphore.js';
import { openTasks } from './open-tasks.js';
import { planStep, type ActivityWork, type StepPlan } from './step-plan.js';
import { buildTransaction, hasChanges } from './step-transaction.js';
import { ConflictError, describe } from './table-store.js';

const MAX_STEP_LOOPS = 25;

export class StepRunner {
  private readonly stepSlots: Semaphore;
  private readonly queued = new Set<string>();
  private readonly running = new Set<string>();
  private readonly again = new Set<string>();
  private readonly stepBackoff = new Map<string, number>();
  /** Instances whose failed step waits (real time) to be retried. */
  private readonly retryWaiting = new Set<string>();

  constructor(
    private readonly ctx: EngineContext,
    private readonly activities: ActivityRunner,
    private readonly outbox: OutboxDelivery,
    maxConcurrentSteps: number,
  ) {
    this.stepSlots = new Semaphore(maxConcurrentSteps);
  }

  /** A step is queued, running or waiting to be retried. */
  get pending(): boolean {
    return this.queued.size > 0 || this.running.size > 0 || this.retryWaiting.size > 0;
  }

  requestStep(instanceId: string): void {
    if (!this.ctx.processing) return;
    if (this.running.has(instanceId)) {
      this.again.add(instanceId);
      return;
    }
    if (this.queued.has(instanceId)) return;
    this.queued.add(instanceId);
    this.ctx.track(this.runStep(instanceId));
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
      if (this.ctx.stopping) return;
      const delay = Math.min(30_000, (this.stepBackoff.get(instanceId) ?? 500) * 2);
      this.stepBackoff.set(instanceId, delay);
      this.ctx.log.warn({ instanceId, error: describe(err), retryInMs: delay }, 'durable: step failed, will retry');
      this.retryWaiting.add(instanceId);
      setTimeout(() => {
        this.retryWaiting.delete(instanceId);
        this.ctx.requestStep(instanceId);
      }, delay).unref();
    } finally {
      this.running.delete(instanceId);
      release();
      if (this.again.delete(instanceId)) this.ctx.requestStep(instanceId);
    }
  }

  private async step(instanceId: string): Promise<void> {
    for (let loop = 0; loop < MAX_STEP_LOOPS; loop++) {
      if (!this.ctx.processing) return;
      const snap = await readPartition(this.ctx.bg, instanceId);
      const now = this.ctx.clock.now();
      this.activities.forgetRecorded(instanceId, snap);
      const base = {
        record: snap.record,
        history: snap.history,
        inbox: snap.inbox,
        now,
        invoker: this.ctx.options.invoker,
        newExecutionId: () => randomUUID().replace(/-/g, ''),
      };
      let plan = await planStep(base);
      if (!hasChanges(plan)) {
        this.afterRead(instanceId, snap, now);
        return;
      }
      let built = buildTransaction(snap, plan);
      // Too much for one transaction: take fewer inputs (the rest wait for the next step). Only data that cannot be
      // stored even alone (one input, or none) fails the orchestration; an operation count never does.
      while (built.tooLarge && plan.inputs > 1) {
        plan = await planStep({ ...base, maxInputs: Math.floor(plan.inputs / 2) });
        built = buildTransaction(snap, plan);
      }
      if (built.tooManyOps) throw new Error(`step of ${instanceId} needs ${built.actions.length} table operations even with one input; deferred`);
      if (built.tooLarge && snap.record && !isTerminal(snap.record.status)) {
        plan = await planStep({ ...base, maxInputs: 1, forceFailure: `the step's data exceeds Azure Table limits (${built.tooLarge})` });
        built = buildTransaction(snap, plan);
      }
      try {
        await this.ctx.bg.transact(built.actions);
      } catch (err) {
        if (err instanceof ConflictError) {
          this.ctx.log.info({ instanceId, status: err.statusCode }, 'durable: step conflict, re-reading');
          continue;
        }
        throw err;
      }
      this.logOutcome(instanceId, plan);
      if (!this.ctx.abandoned) for (const work of plan.activities) this.activities.dispatchActivity(work);
      if (built.outboxRow) this.outbox.deliverOutbox(built.outboxRow);
    }
    // Still busy after many commits in a row: yield to other instances and come back.
    this.again.add(instanceId);
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
        this.ctx.log.info({ instanceId, name }, `durable: instance ${plan.outcome}`);
        break;
      default:
        break;
    }
  }

  /** Nothing to commit: make sure everything this instance waits for is under way. */
  private afterRead(instanceId: string, snap: PartitionSnapshot, now: number): void {
    for (const row of snap.outbox) this.outbox.deliverOutbox(row);
    if (snap.staleHistory.length > 0) this.ctx.track(this.ctx.bg.deleteRows(snap.partitionKey, snap.staleHistory));
    for (const entry of snap.inbox) if (entry.at > now) this.ctx.timers.add(entry.at, instanceId);
    const rec = snap.record;
    if (!rec || isTerminal(rec.status)) return;
    const open = openTasks(snap.history);
    const results = new Set(snap.inbox.map((e) => e.rowKey));
    for (const [taskId, scheduled] of open.activities) {
      if (results.has(taskResultKey(rec.executionId, taskId))) continue;
      const work: ActivityWork = { instanceId, executionId: rec.executionId, taskId, name: String(scheduled.Name) };
      if (typeof scheduled.Input === 'string') work.input = scheduled.Input;
      this.activities.dispatchActivity(work);
    }
    if (rec.status !== 'Suspended') for (const fireAt of open.timers.values()) if (fireAt > now) this.ctx.timers.add(fireAt, instanceId);
  }
}
