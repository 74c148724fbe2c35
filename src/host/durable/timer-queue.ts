import type { Clock } from '../clock.js';

interface Entry {
  at: number;
  key: string;
}

/**
 * Due times of durable timers and delayed messages, held in memory as a min-heap with ONE clock callback armed for
 * the earliest. `onDue(key, at)` runs within the clock's precision of each time (no polling).
 */
export class TimerQueue {
  private heap: Entry[] = [];
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
    return this.heap.length;
  }

  add(at: number, key: string): void {
    if (this.closed) return;
    const id = `${at}|${key}`;
    if (this.present.has(id)) return;
    this.present.add(id);
    this.heap.push({ at, key });
    this.up(this.heap.length - 1);
    this.arm();
  }

  /** Forgets every due time (the lease was lost); the queue stays usable. */
  clear(): void {
    this.cancelArmed?.();
    this.cancelArmed = undefined;
    this.armedAt = undefined;
    this.heap = [];
    this.present.clear();
  }

  close(): void {
    this.closed = true;
    this.cancelArmed?.();
    this.cancelArmed = undefined;
    this.heap = [];
    this.present.clear();
  }

  private arm(): void {
    const first = this.heap[0];
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
    while (this.heap[0] && this.heap[0].at <= now) {
      const { key, at } = this.pop();
      if (!due.has(key)) due.set(key, at);
    }
    for (const [key, at] of due) this.onDue(key, at);
    this.arm();
  }

  private pop(): Entry {
    const top = this.heap[0] as Entry;
    this.present.delete(`${top.at}|${top.key}`);
    const last = this.heap.pop() as Entry;
    if (this.heap.length > 0) {
      this.heap[0] = last;
      this.down(0);
    }
    return top;
  }

  private up(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if ((h[p] as Entry).at <= (h[i] as Entry).at) break;
      [h[p], h[i]] = [h[i] as Entry, h[p] as Entry];
      i = p;
    }
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && (h[l] as Entry).at < (h[m] as Entry).at) m = l;
      if (r < h.length && (h[r] as Entry).at < (h[m] as Entry).at) m = r;
      if (m === i) return;
      [h[m], h[i]] = [h[i] as Entry, h[m] as Entry];
      i = m;
    }
  }
}
