/**
 * Group commit: steps of instances that share a partition (hub-layout.ts, `grouped`) go to storage together, as ONE
 * entity-group transaction of up to 100 operations and 4 MiB. A partition has IN_FLIGHT_PER_PARTITION transactions
 * in flight at most; steps that become ready meanwhile wait and go together in the next, so groups grow with the load
 * and a lone step waits for nobody. Each step stays atomic (all its rows in one transaction) and its own instance's ETag
 * guards it.
 *
 * A group the storage refuses (one step's ETag is stale, a row exists, the body is too large, anything but storage
 * being unavailable) is tried again step by step: each step gets its own answer, as if it had gone alone.
 */
import { StorageUnavailableError } from '../../errors.js';
import { MAX_TRANSACTION_BYTES, MAX_TRANSACTION_OPS } from '../../storage-limits.js';
import type { BuiltStep } from './step-transaction.js';

/** Commits steps of one partition as one transaction: the new ETags by stored row key. */
export type CommitSteps = (steps: BuiltStep[]) => Promise<Map<string, string>>;

/**
 * Transactions in flight per partition. With four, 1,000 schedules at 1 s on Azurite hardly grouped (1 storage call
 * per tick, 608 ticks/s against 733 with one). A step waits for the transaction before it holding its step slot, so
 * the engine takes 32 steps at once (engine.ts): at 8, 316 schedules behind 10 ms of latency per call were p50 430 ms
 * late (docs/performance.md).
 */
export const IN_FLIGHT_PER_PARTITION = 1;

interface Waiting {
  step: BuiltStep;
  resolve: (etags: Map<string, string>) => void;
  reject: (err: unknown) => void;
}

export class GroupCommit {
  /** Steps waiting for their partition's next transaction, by partition. */
  private readonly waiting = new Map<string, Waiting[]>();
  /** Transactions in flight, by partition. */
  private readonly inFlight = new Map<string, number>();
  /** Partitions whose waiting steps go at the end of this turn. */
  private readonly scheduled = new Set<string>();

  constructor(
    private readonly commit: CommitSteps,
    /** How many steps each transaction took (metrics). */
    private readonly observe: (steps: number) => void = () => {},
  ) {}

  /** Commits the step with whatever else of its partition is ready; the new ETags by stored row key. */
  submit(step: BuiltStep): Promise<Map<string, string>> {
    return new Promise((resolve, reject) => {
      const queue = this.waiting.get(step.partition);
      if (queue) queue.push({ step, resolve, reject });
      else this.waiting.set(step.partition, [{ step, resolve, reject }]);
      this.schedule(step.partition);
    });
  }

  /** Steps that become ready in this same turn go together. */
  private schedule(partition: string): void {
    if (this.scheduled.has(partition) || (this.inFlight.get(partition) ?? 0) >= IN_FLIGHT_PER_PARTITION) return;
    this.scheduled.add(partition);
    queueMicrotask(() => {
      this.scheduled.delete(partition);
      this.drain(partition);
    });
  }

  private drain(partition: string): void {
    const queue = this.waiting.get(partition);
    while (queue && queue.length > 0 && (this.inFlight.get(partition) ?? 0) < IN_FLIGHT_PER_PARTITION) {
      this.inFlight.set(partition, (this.inFlight.get(partition) ?? 0) + 1);
      void this.run(takeGroup(queue)).finally(() => {
        const left = (this.inFlight.get(partition) ?? 1) - 1;
        if (left > 0) this.inFlight.set(partition, left);
        else this.inFlight.delete(partition);
        this.schedule(partition);
      });
    }
    if (queue?.length === 0) this.waiting.delete(partition);
  }

  private async run(group: Waiting[]): Promise<void> {
    if (group.length === 1) return this.alone(group[0] as Waiting);
    this.observe(group.length);
    try {
      const etags = await this.commit(group.map((w) => w.step));
      for (const w of group) w.resolve(etags);
    } catch (err) {
      if (err instanceof StorageUnavailableError) for (const w of group) w.reject(err);
      else await Promise.all(group.map((w) => this.alone(w)));
    }
  }

  private async alone(w: Waiting): Promise<void> {
    this.observe(1);
    try {
      w.resolve(await this.commit([w.step]));
    } catch (err) {
      w.reject(err);
    }
  }
}

/** The longest run from the queue's head that fits one transaction (at least one step: a lone step is sized already). */
function takeGroup(queue: Waiting[]): Waiting[] {
  let ops = 0;
  let bytes = 0;
  let n = 0;
  for (const w of queue) {
    ops += w.step.operations;
    bytes += w.step.bytes;
    if (n > 0 && (ops > MAX_TRANSACTION_OPS || bytes > MAX_TRANSACTION_BYTES)) break;
    n++;
  }
  return queue.splice(0, n);
}
