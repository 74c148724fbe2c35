/**
 * The limits of the host's HTTP edge. The README's "Limits at the edge" table states each of them; a test reads the
 * table and compares it with these constants (test/host/http/edge-limits-doc.test.ts).
 */
import { HostError } from '../host-error.js';

/** The Functions host's default request body limit (`FUNCTIONS_REQUEST_BODY_SIZE_LIMIT`): 100 MB. */
export const FUNCTIONS_DEFAULT_BODY_BYTES = 104_857_600;
/**
 * Body of a function- or admin-level trigger (the management API): 1 MiB, far above any schedule definition; 16 of
 * them at once stay within the embedded pod's memory (16 MiB ones took the host from 155 to 402 MB).
 */
export const KEYED_BODY_BYTES = 1_048_576;
/** Request bodies read at once per class of caller (anonymous, keyed, Durable webhooks); more get 503. */
export const CONCURRENT_BODIES = 16;
/** A body that sends no byte for this long is answered 408 and its connection closed. */
export const BODY_STALL_MS = 5_000;

export interface EdgeLimits {
  /** Body of an anonymous HTTP trigger: the Functions host's limit, `FUNCTIONS_REQUEST_BODY_SIZE_LIMIT`. */
  anonymousBodyBytes: number;
  /** Body of a function- or admin-level HTTP trigger (never more than `anonymousBodyBytes`). */
  functionBodyBytes: number;
  /** Request bodies read at once, per gate; more get 503 with Retry-After. */
  concurrentBodies: number;
  /** A body without a byte for this long ends with 408. */
  bodyStallMs: number;
  /** Time to receive the request headers. */
  headersTimeoutMs: number;
  /** Time to receive the whole request (headers and body). */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
}

export const DEFAULT_EDGE_LIMITS: EdgeLimits = {
  anonymousBodyBytes: FUNCTIONS_DEFAULT_BODY_BYTES,
  functionBodyBytes: KEYED_BODY_BYTES,
  concurrentBodies: CONCURRENT_BODIES,
  bodyStallMs: BODY_STALL_MS,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
};

/**
 * The limits an app's settings change: `FUNCTIONS_REQUEST_BODY_SIZE_LIMIT` (bytes, as the Functions host reads it)
 * sets the anonymous triggers' limit and caps the keyed ones. Read once at start-up; a bad value stops the start.
 */
export function edgeLimitsFromSettings(env: NodeJS.ProcessEnv): Partial<EdgeLimits> {
  const raw = env.FUNCTIONS_REQUEST_BODY_SIZE_LIMIT?.trim();
  if (raw === undefined || raw === '') return {};
  if (!/^\d{1,15}$/.test(raw) || Number(raw) < 1) {
    throw new HostError('BAD_SETTING', `FUNCTIONS_REQUEST_BODY_SIZE_LIMIT: "${raw}" is not a positive whole number of bytes`);
  }
  const bytes = Number(raw);
  return { anonymousBodyBytes: bytes, functionBodyBytes: Math.min(bytes, KEYED_BODY_BYTES) };
}

/** Counts request bodies being read; a request that finds no free slot is refused rather than queued. */
export class BodyGate {
  private active = 0;
  constructor(private readonly limit: number) {}

  /** A release function (idempotent), or undefined when all slots are taken. */
  tryEnter(): (() => void) | undefined {
    if (this.active >= this.limit) return undefined;
    this.active++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
    };
  }

  get inUse(): number {
    return this.active;
  }
}
