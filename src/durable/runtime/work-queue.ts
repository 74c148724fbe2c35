import { MinHeap } from './min-heap.js';

/**
 * Instances ready for a step, taken in order of the time their work became due (a due timer: its fire time; a
 * message or result: when it arrived), not first-in-first-out: a timer that fell behind is stepped before work that
 * became due after it. A min-heap with ONE entry per instance; offering an instance again keeps the earlier due time.
 * Ties go in offer order.
 */
interface Entry {
  key: string;
  dueAt: number;
  /** Offer order, so that equal due times keep FIFO order. */
  seq: number;
}

export class WorkQueue {
  private readonly index = new Map<string, number>();
  private readonly heap = new MinHeap<Entry>(
    (a, b) => a.dueAt < b.dueAt || (a.dueAt === b.dueAt && a.seq < b.seq),
    (entry, at) => this.index.set(entry.key, at),
  );
  private seq = 0;

  get size(): number {
    return this.heap.size;
  }

  has(key: string): boolean {
    return this.index.has(key);
  }

  /** Queues `key` due at `dueAt`; already queued, it keeps the earlier of both due times. */
  offer(key: string, dueAt: number): void {
    const at = this.index.get(key);
    if (at !== undefined) {
      const entry = this.heap.at(at) as Entry;
      if (dueAt < entry.dueAt) {
        entry.dueAt = dueAt;
        this.heap.up(at);
      }
      return;
    }
    this.heap.push({ key, dueAt, seq: this.seq++ });
  }

  /** The instance whose work became due first, removed from the queue. */
  take(): { key: string; dueAt: number } | undefined {
    const top = this.heap.pop();
    if (!top) return undefined;
    this.index.delete(top.key);
    return { key: top.key, dueAt: top.dueAt };
  }

  clear(): void {
    this.heap.clear();
    this.index.clear();
  }
}
