/**
 * A binary min-heap ordered by `before(a, b)` (true when `a` must come out first). `moved(item, index)` is told every
 * new position of an item, so that a caller can keep an index of its entries and move one up after lowering its key
 * (`up(index)`). Shared by the step queue and the timer queue.
 */
export class MinHeap<T> {
  private items: T[] = [];

  constructor(
    private readonly before: (a: T, b: T) => boolean,
    private readonly moved: (item: T, index: number) => void = () => {},
  ) {}

  get size(): number {
    return this.items.length;
  }

  /** The first item, left in the heap. */
  peek(): T | undefined {
    return this.items[0];
  }

  /** The item at `index` (as told to `moved`). */
  at(index: number): T | undefined {
    return this.items[index];
  }

  push(item: T): void {
    this.items.push(item);
    this.moved(item, this.items.length - 1);
    this.up(this.items.length - 1);
  }

  /** The first item, removed. */
  pop(): T | undefined {
    const top = this.items[0];
    if (top === undefined) return undefined;
    const last = this.items.pop() as T;
    if (this.items.length > 0) {
      this.items[0] = last;
      this.moved(last, 0);
      this.down(0);
    }
    return top;
  }

  clear(): void {
    this.items = [];
  }

  /** Restores the order after the item at `index` got a smaller key. */
  up(index: number): void {
    let i = index;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.before(this.items[i] as T, this.items[p] as T)) return;
      this.swap(i, p);
      i = p;
    }
  }

  private down(index: number): void {
    const h = this.items;
    let i = index;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && this.before(h[l] as T, h[m] as T)) m = l;
      if (r < h.length && this.before(h[r] as T, h[m] as T)) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }

  private swap(i: number, j: number): void {
    const h = this.items;
    const a = h[i] as T;
    const b = h[j] as T;
    h[i] = b;
    h[j] = a;
    this.moved(b, i);
    this.moved(a, j);
  }
}
