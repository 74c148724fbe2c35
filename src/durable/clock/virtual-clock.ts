import type { Clock } from './clock.js';
import { sleepOn } from './system-clock.js';

interface Pending {
  at: number;
  seq: number;
  callback: () => void;
}

/**
 * A clock that only moves when a test says so. `advanceTo` fires due callbacks in time order and lets the
 * event loop run between them, so work that a callback starts (storage writes, activity calls) can schedule the
 * next timer before time moves past it.
 */
export class VirtualClock implements Clock {
  private current: number;
  private seq = 0;
  private pending: Pending[] = [];

  constructor(start: number | Date = Date.UTC(2030, 0, 1)) {
    this.current = typeof start === 'number' ? start : start.getTime();
  }

  now(): number {
    return this.current;
  }

  at(at: number, callback: () => void): () => void {
    const entry: Pending = { at, seq: this.seq++, callback };
    this.pending.push(entry);
    this.pending.sort((a, b) => a.at - b.at || a.seq - b.seq);
    if (at <= this.current) setImmediate(() => this.fireDue());
    return () => {
      this.pending = this.pending.filter((p) => p !== entry);
    };
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal);
  }

  /** The time of the earliest pending callback, if any. */
  nextDue(): number | undefined {
    return this.pending[0]?.at;
  }

  /**
   * Moves time forward to `target`, one due callback at a time. `settle` is awaited after each step so that the
   * system under test can react. The default (a few turns of the event loop) does not wait for I/O: pass one that
   * waits for the system to be idle (TestEnvironment uses the durable engine's `idle()`).
   */
  async advanceTo(target: number, settle: () => Promise<void> = defaultSettle): Promise<void> {
    for (;;) {
      const next = this.pending[0];
      if (!next || next.at > target) break;
      if (next.at > this.current) this.current = next.at;
      this.fireDue();
      await settle();
    }
    if (target > this.current) this.current = target;
    await settle();
  }

  async advanceBy(ms: number, settle?: () => Promise<void>): Promise<void> {
    await this.advanceTo(this.current + ms, settle);
  }

  private fireDue(): void {
    while (this.pending[0] && this.pending[0].at <= this.current) {
      const due = this.pending.shift() as Pending;
      due.callback();
    }
  }
}

async function defaultSettle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
