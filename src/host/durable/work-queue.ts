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
  private readonly heap: Entry[] = [];
  private readonly index = new Map<string, number>();
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  has(key: string): boolean {
    return this.index.has(key);
  }

  /** Queues `key` due at `dueAt`; already queued, it keeps the earlier of both due times. */
  offer(key: string, dueAt: number): void {
    const at = this.index.get(key);
    if (at !== undefined) {
      const entry = this.heap[at] as Entry;
      if (dueAt < entry.dueAt) {
        entry.dueAt = dueAt;
        this.up(at);
      }
      return;
    }
    this.heap.push({ key, dueAt, seq: this.seq++ });
    this.index.set(key, this.heap.length - 1);
    this.up(this.heap.length - 1);
  }

  /** The instance whose work became due first, removed from the queue. */
  take(): { key: string; dueAt: number } | undefined {
    const top = this.heap[0];
    if (!top) return undefined;
    const last = this.heap.pop() as Entry;
    this.index.delete(top.key);
    if (last !== top) {
      this.heap[0] = last;
      this.index.set(last.key, 0);
      this.down(0);
    }
    return { key: top.key, dueAt: top.dueAt };
  }

  clear(): void {
    this.heap.length = 0;
    this.index.clear();
  }

  private before(a: Entry, b: Entry): boolean {
    return a.dueAt < b.dueAt || (a.dueAt === b.dueAt && a.seq < b.seq);
  }

  private swap(i: number, j: number): void {
    const h = this.heap;
    const a = h[i] as Entry;
    const b = h[j] as Entry;
    h[i] = b;
    h[j] = a;
    this.index.set(b.key, i);
    this.index.set(a.key, j);
  }

  private up(i: number): void {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(this.heap[i] as Entry, this.heap[p] as Entry)) return;
      this.swap(i, p);
      i = p;
    }
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.before(h[l] as Entry, h[m] as Entry)) m = l;
      if (r < h.length && this.before(h[r] as Entry, h[m] as Entry)) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }
}
