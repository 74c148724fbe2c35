import type { Clock } from '../clock/clock.js';
import { MinHeap } from './min-heap.js';

interface Entry {
  at: number;
  key: string;
}

/**
 * Due times of durable timers and delayed messages, held in memory as a min-heap with ONE clock callback armed for
 * the earliest. `onDue(key, at)` runs within the clock's precision of each time (no polling).
 */
export class TimerQueue {
  private readonly heap = new MinHeap<Entry>((a, b) => a.at < b.at);
  /** `at|key` of every entry in the heap: a duplicate add is O(1) to refuse (10,000 schedules re-arm often). */
  private readonly present = new Set<string>();
  private armedAt: number | undefined;
  private cancelArmed: (() => void) | undefined;
  private closed = false;

  constructor(
    private readonly clock: Clock,
    private readonly onDue: (key: string, at: number) => void,
  ) {}

  get size(): number {
    return this.heap.size;
  }

  add(at: number, key: string): void {
    if (this.closed) return;
    const id = `${at}|${key}`;
    if (this.present.has(id)) return;
    this.present.add(id);
    this.heap.push({ at, key });
    this.arm();
  }

  /** Forgets every due time (the lease was lost); the queue stays usable. */
  clear(): void {
    this.cancelArmed?.();
    this.cancelArmed = undefined;
    this.armedAt = undefined;
    this.heap.clear();
    this.present.clear();
  }

  close(): void {
    this.closed = true;
    this.cancelArmed?.();
    this.cancelArmed = undefined;
    this.heap.clear();
    this.present.clear();
  }

  private arm(): void {
    const first = this.heap.peek();
    if (!first || this.closed) return;
    if (this.armedAt !== undefined && this.armedAt <= first.at) return;
    this.cancelArmed?.();
    this.armedAt = first.at;
    this.cancelArmed = this.clock.at(first.at, () => this.fire());
  }

  private fire(): void {
    this.armedAt = undefined;
    this.cancelArmed = undefined;
    const now = this.clock.now();
    // Popped in time order: each key is handed on once, with its earliest due time.
    const due = new Map<string, number>();
    for (let top = this.heap.peek(); top && top.at <= now; top = this.heap.peek()) {
      const { key, at } = this.pop();
      if (!due.has(key)) due.set(key, at);
    }
    for (const [key, at] of due) this.onDue(key, at);
    this.arm();
  }

  private pop(): Entry {
    const top = this.heap.pop() as Entry;
    this.present.delete(`${top.at}|${top.key}`);
    return top;
  }
}
