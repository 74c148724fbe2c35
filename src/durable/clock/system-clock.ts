import type { Clock } from './clock.js';

/** Largest delay setTimeout accepts; longer waits are chained. */
const MAX_TIMEOUT_MS = 2_147_483_647;

/**
 * The real wall clock. With another time source (`read`) it is a real-time clock of that source: monotonicClock()
 * below is one on performance.now().
 */
export class SystemClock implements Clock {
  constructor(private readonly read: () => number = Date.now) {}

  now(): number {
    return this.read();
  }

  at(at: number, callback: () => void): () => void {
    let handle: NodeJS.Timeout | undefined;
    const arm = (): void => {
      const delay = at - this.read();
      if (delay <= 0) {
        handle = undefined;
        callback();
        return;
      }
      handle = setTimeout(arm, Math.min(delay, MAX_TIMEOUT_MS));
    };
    // Always async, even when due, so callers see the same ordering as with a virtual clock.
    handle = setTimeout(arm, Math.max(0, Math.min(at - this.read(), MAX_TIMEOUT_MS)));
    return () => {
      if (handle) clearTimeout(handle);
      handle = undefined;
    };
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal);
  }
}

/**
 * Real monotonic time: milliseconds since this process started (performance.now()), never stepped by NTP or an
 * operator, so only differences within one process mean anything. Caveat (as for Kubernetes leases): on Linux it does
 * not count time the whole machine spends suspended.
 */
export function monotonicClock(): Clock {
  return new SystemClock(() => performance.now());
}

/** Shared by both clocks: a promise over `clock.at`, rejected with the signal's reason on abort. */
export function sleepOn(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the signal's reason, as node:timers/promises rejects
      reject(signal.reason);
      return;
    }
    const onAbort = (): void => {
      cancel();
      // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the signal's reason, as above
      reject(signal?.reason);
    };
    const cancel = clock.at(clock.now() + ms, () => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    });
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
