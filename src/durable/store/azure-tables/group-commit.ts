/**
 * Group commit: steps of instances that share a partition (hub-layout.ts, `grouped`) go to storage together, as ONE
 * entity-group transaction of up to 100 operations and 4 MiB. A partition has one transaction in flight; steps that
 * become ready meanwhile wait and go together in the next, so groups grow with the load and a lone step waits for
 * nobody. Each step stays atomic (all its rows in one transaction) and its own instance's ETag guards it.
 *
 * A group the storage refuses (one step's ETag is stale, a row exists, the body is too large, anything but storage
 * being unavailable) is tried again step by step: each step gets its own answer, as if it had gone alone.
 */
import { StorageUnavailableError } from '../../errors.js';
import { MAX_TRANSACTION_BYTES, MAX_TRANSACTION_OPS } from '../../storage-limits.js';
import type { BuiltStep } from './step-transaction.js';

/** Commits steps of one partition as one transaction: the new ETags by stored row key. */
export type CommitSteps = (steps: BuiltStep[]) => Promise<Map<string, string>>;

interface Waiting {
  step: BuiltStep;
  resolve: (etags: Map<string, string>) => void;
  reject: (err: unknown) => void;
}

export class GroupCommit {
  /** Steps waiting for their partition's next transaction, by partition. */
  private readonly waiting = new Map<string, Waiting[]>();
  /** Partitions with a transaction in flight (or about to go). */
  private readonly draining = new Set<string>();

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
      if (this.draining.has(step.partition)) return;
      this.draining.add(step.partition);
      // Steps that become ready in this same turn go together.
      queueMicrotask(() => void this.drain(step.partition));
    });
  }

  private async drain(partition: string): Promise<void> {
    for (;;) {
      const queue = this.waiting.get(partition);
      if (!queue || queue.length === 0) {
        this.waiting.delete(partition);
        this.draining.delete(partition);
        return;
      }
      await this.run(takeGroup(queue));
    }
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
