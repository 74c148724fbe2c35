/**
 * The app's one polling loop: look until a probe finds what it waits for, with doubling pauses between looks, until
 * a deadline. Used where a Durable client operation is a message whose effect is looked at afterwards (a terminate,
 * a raised event).
 */
import { backoffMs, type BackoffBounds } from '../../eventsource/core/backoff.js';

/** The pauses (the first, doubling, at most maxMs), the deadline, and whether the first look comes before any pause. */
export interface PollOptions extends BackoffBounds {
  /** Epoch ms (Date.now()); once it has passed no further pause begins (a pause begun before it ends with a look). */
  readonly deadline: number;
  /** Look once at once; otherwise the first look follows the first pause. */
  readonly lookAtOnce?: boolean;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** What `probe` found (anything but undefined), as soon as it finds it; undefined when the deadline passed first. */
export async function pollUntil<T>(probe: () => Promise<T | undefined>, options: PollOptions): Promise<T | undefined> {
  if (options.lookAtOnce) {
    const found = await probe();
    if (found !== undefined) return found;
  }
  for (let pauses = 1; Date.now() < options.deadline; pauses++) {
    await sleep(backoffMs(pauses, options));
    const found = await probe();
    if (found !== undefined) return found;
  }
  return undefined;
}
