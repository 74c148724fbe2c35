/** Background work the engine has in progress, and `idle()`: the moment nothing is under way. */
import type { Logger } from 'pino';
import { describe } from '../store/storage-failures.js';
import { StorageUnavailableError } from '../errors.js';

export class BackgroundWork {
  private readonly work = new Set<Promise<unknown>>();

  constructor(
    private readonly log: Logger,
    private readonly stopping: () => boolean,
  ) {}

  get size(): number {
    return this.work.size;
  }

  /**
   * Settles once no work is left, including work tracked while it waits: during a shutdown, the step that commits the
   * result of an activity that just finished (the shutdown starts nothing else, so this ends).
   */
  async settled(): Promise<void> {
    while (this.work.size > 0) await Promise.allSettled([...this.work]);
  }

  track<T>(promise: Promise<T>): void {
    const p = promise.catch((err: unknown) => {
      if (!(err instanceof StorageUnavailableError && this.stopping())) this.log.error({ error: describe(err) }, 'durable: background task failed');
    });
    this.work.add(p);
    void p.finally(() => this.work.delete(p));
  }

  /**
   * Resolves once the engine has nothing to do: no step queued, running or waiting to be retried, no activity
   * running, no outbox delivery or scan in progress; checked twice, an event-loop turn apart, so that work started by
   * a callback that was about to run (a due timer) is seen. With a VirtualClock this is the moment time may move on.
   */
  async idle(abandoned: () => boolean, stepsPending: () => boolean): Promise<void> {
    let quiet = 0;
    while (quiet < 2) {
      if (abandoned()) return;
      if (this.work.size > 0) {
        quiet = 0;
        await Promise.allSettled([...this.work]);
      } else if (stepsPending()) {
        quiet = 0;
        await new Promise((resolve) => setTimeout(resolve, 5));
      } else {
        quiet++;
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
  }
}
