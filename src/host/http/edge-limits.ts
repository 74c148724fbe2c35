/**
 * The limits of the host's HTTP edge. Payload limits derive from what the task hub can store (storage-limits.ts):
 * nothing accepted here can produce a step that does not fit.
 */
import { MAX_PAYLOAD_UNITS } from '../durable/storage-limits.js';

export interface EdgeLimits {
  /** Body of an anonymous HTTP trigger (probes such as /api/healthz need none). */
  anonymousBodyBytes: number;
  /**
   * Body of a function- or admin-level HTTP trigger: a durable payload's worth (MAX_PAYLOAD_UNITS; a starter function
   * hands its body to the durable client as input), counted in bytes as received.
   */
  functionBodyBytes: number;
  /** Request bodies read at once; more get 503 with Retry-After. */
  concurrentBodies: number;
  /** Time to receive the request headers. */
  headersTimeoutMs: number;
  /** Time to receive the whole request (headers and body). */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
}

export const DEFAULT_EDGE_LIMITS: EdgeLimits = {
  anonymousBodyBytes: 4 * 1024,
  functionBodyBytes: MAX_PAYLOAD_UNITS,
  concurrentBodies: 16,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
};

/** Start input and event data of the Durable HTTP API: JSON text of at most this many UTF-16 units, as sent. */
export const DURABLE_PAYLOAD_UNITS = MAX_PAYLOAD_UNITS;

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
