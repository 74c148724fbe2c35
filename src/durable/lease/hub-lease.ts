/**
 * One lease row per hub: only the worker holding it runs steps and activities. Time is judged as Kubernetes Leases
 * do, never by comparing wall clocks of different machines:
 * - a waiting worker remembers (row ETag, its own monotonic time) whenever it sees the row change, and takes the
 *   lease only when the row has stood still for the holder's declared duration by ITS OWN clock (or at once when
 *   the holder released it or is certainly gone: holderIsGone);
 * - the holder counts from the monotonic instant it SENT its last successful write and stops being owner at
 *   duration − safety margin, before anyone else can have counted a full duration since seeing that write. A failed
 *   renewal extends nothing.
 * `isOwner` is a comparison with the monotonic clock, cheap enough to ask right before every effect.
 */
import { randomUUID } from 'node:crypto';
import { hostname as osHostname } from 'node:os';
import type { Logger } from 'pino';
import type { Clock } from '../clock/clock.js';
import { monotonicClock, SystemClock } from '../clock/system-clock.js';
import { DurableConfigError } from '../errors.js';
import { holderIsGone, liveTokens, type LeaseHolder, type LeaseRow, type LeaseWrite } from './lease-row.js';
import { ConflictError } from '../errors.js';
import { describe } from '../store/storage-failures.js';
import type { LeaseStore } from '../store/hub-store.js';

export type { LeaseHolder } from './lease-row.js';

export interface LeaseTiming {
  /** How long others wait for a renewal before taking the lease (ms of their monotonic clock). */
  durationMs: number;
  /** How often the owner renews, and a waiting worker looks at the row (ms). */
  renewEveryMs: number;
  /** The owner stops this long before `durationMs` has passed since its last successful write; default 1/6 of it. */
  safetyMarginMs?: number;
}

/** The engine's lease: others wait 30 s for a renewal, the owner renews every 10 s (a third of it). */
export const DEFAULT_LEASE_TIMING: LeaseTiming = { durationMs: 30_000, renewEveryMs: 10_000 };

export interface HubLeaseOptions {
  store: LeaseStore;
  workerId: string;
  timing: LeaseTiming;
  logger: Logger;
  /** The lease became ours (the engine runs its recovery scan). */
  onAcquired: () => void;
  /** The lease is no longer known to be ours (expired without renewal, or taken): the engine stops intake. */
  onLost: () => void;
  /** Source of every decision and of the renewal timers: default performance.now(). Tests inject a VirtualClock. */
  monotonic?: Clock;
  /** Only for the row's informational `ExpiresAt`; default the system clock. */
  wallClock?: Clock;
  holder?: LeaseHolder;
}

export class HubLease {
  private readonly token = randomUUID();
  private readonly store: LeaseStore;
  private readonly mono: Clock;
  private readonly wall: Clock;
  private readonly me: LeaseHolder;
  private readonly marginMs: number;
  /** Monotonic instant until which the lease is known to be ours. */
  private validUntil = Number.NEGATIVE_INFINITY;
  /** What the engine was last told (onAcquired / onLost). */
  private held = false;
  /** ETag of our last write that we know committed; set while we hold (or just held) the row. */
  private etag: string | undefined;
  /** When the first write since `etag` was sent whose answer we did not get (it may have committed). */
  private unconfirmedSince: number | undefined;
  /** The row as a waiting worker last saw it change: its ETag and our monotonic time then. */
  private observed: { etag: string; at: number; durationMs: number } | undefined;
  private renewals = 0;
  private round: Promise<void> | undefined;
  private cancelNext: (() => void) | undefined;
  private cancelExpiry: (() => void) | undefined;
  private stopped = false;

  constructor(private readonly options: HubLeaseOptions) {
    const { durationMs, renewEveryMs } = options.timing;
    this.marginMs = options.timing.safetyMarginMs ?? Math.floor(durationMs / 6);
    if (!(renewEveryMs > 0 && renewEveryMs < durationMs - this.marginMs)) {
      throw new DurableConfigError('INVALID_LEASE_TIMING', 'leaseRenewEveryMs', `renewals (${renewEveryMs} ms) must come well within the lease (${durationMs} ms − margin ${this.marginMs} ms)`);
    }
    this.store = options.store;
    this.mono = options.monotonic ?? monotonicClock();
    this.wall = options.wallClock ?? new SystemClock();
    this.me = options.holder ?? { host: osHostname(), pid: process.pid };
  }

  /** The lease is known to be ours right now (monotonic time; no I/O). */
  get isOwner(): boolean {
    return !this.stopped && this.mono.now() < this.validUntil;
  }

  /** Tries once now, then keeps renewing (owner) or watching the row (waiting). */
  async start(): Promise<void> {
    liveTokens.add(this.token);
    this.runRound();
    await this.idle();
  }

  /** Resolves when no storage round of the lease is under way. */
  async idle(): Promise<void> {
    while (this.round) await this.round;
  }

  private get log(): Logger {
    return this.options.logger;
  }

  private runRound(): void {
    if (this.stopped || this.round) return;
    let failed = false;
    const renewing = this.etag !== undefined;
    this.round = (renewing ? this.renew() : this.acquire())
      .catch((err: unknown) => {
        failed = true;
        const what = renewing ? 'renewal' : 'look at the lease row';
        this.log.warn({ error: describe(err), owner: this.isOwner }, `durable: hub lease ${what} failed`);
      })
      .finally(() => {
        this.round = undefined;
        this.scheduleNext(failed);
      });
  }

  private scheduleNext(failed: boolean): void {
    if (this.stopped) return;
    const { renewEveryMs } = this.options.timing;
    let delay = failed ? Math.max(1, Math.floor(renewEveryMs / 4)) : renewEveryMs;
    if (this.etag === undefined && this.observed) {
      // Waiting: look again right when the row will have stood still long enough.
      const due = this.observed.at + this.observed.durationMs - this.mono.now();
      if (due > 0) delay = Math.min(delay, due);
    }
    this.cancelNext?.();
    this.cancelNext = this.mono.at(this.mono.now() + delay, () => this.runRound());
  }

  private entity(released = false): LeaseWrite {
    const { durationMs } = this.options.timing;
    return {
      owner: this.options.workerId,
      holder: this.me,
      token: this.token,
      durationMs,
      renewals: ++this.renewals,
      released,
      expiresAt: released ? 0 : this.wall.now() + durationMs,
    };
  }

  /** Owner: replace the row If-Match our last ETag. */
  private async renew(): Promise<void> {
    const sentAt = this.mono.now();
    this.unconfirmedSince ??= sentAt;
    try {
      this.confirmed(await this.store.replace(this.entity(), this.etag ?? '*'), sentAt);
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err; // validUntil stays: the expiry timer ends ownership in time
      await this.afterConflict();
    }
  }

  /**
   * A renewal was refused (412/404): someone wrote the row since our last known write. It may be us: a write whose
   * answer was lost but which committed. The row's token tells.
   */
  private async afterConflict(): Promise<void> {
    const row = await this.store.read();
    if (!row || row.token !== this.token || row.released) {
      this.lose(row ? `taken by ${row.owner ?? 'another worker'}` : 'the lease row is gone');
      if (row) this.observe(row);
      return;
    }
    this.log.info({ workerId: this.options.workerId }, 'durable: hub lease renewal refused, but the row is ours (an earlier renewal committed)');
    // That write was sent at or after unconfirmedSince: others count from then at the earliest.
    if (this.unconfirmedSince !== undefined) this.extend(this.unconfirmedSince);
    this.etag = row.etag;
    const sentAt = this.mono.now();
    this.confirmed(await this.store.replace(this.entity(), row.etag), sentAt);
  }

  /** Waiting (or unsure): read the row and take it when it is free, released, orphaned or stood still long enough. */
  private async acquire(): Promise<void> {
    const row = await this.store.read();
    const now = this.mono.now();
    if (row?.token === this.token && !row.released) {
      // Ours: our create/takeover committed though its answer was lost.
      this.etag = row.etag;
      await this.renew();
      return;
    }
    if (row) this.observe(row, now);
    const reason = row ? this.takeoverReason(row, now) : 'no lease row yet';
    if (!reason) return;
    const sentAt = this.mono.now();
    try {
      const etag = row ? await this.store.replace(this.entity(), row.etag) : await this.store.create(this.entity());
      if (row) this.log.info({ previousOwner: row.owner, host: row.host, pid: row.pid, reason }, 'durable: taking over the hub lease');
      this.confirmed(etag, sentAt);
    } catch (err) {
      if (err instanceof ConflictError) return; // someone else wrote first; the next round reads again
      throw err;
    }
  }

  private observe(row: LeaseRow, now = this.mono.now()): void {
    if (this.observed?.etag !== row.etag) this.observed = { etag: row.etag, at: now, durationMs: row.durationMs ?? this.options.timing.durationMs };
  }

  private takeoverReason(row: LeaseRow, now: number): string | undefined {
    if (row.released) return 'released by its holder';
    // A row written before leases named their host and pid: only the same worker id took it back at once.
    if (row.token === undefined && row.owner === this.options.workerId) return 'an old row of this worker id';
    if (holderIsGone(row, this.me)) return 'its holder is gone';
    if (this.observed?.etag === row.etag && now - this.observed.at >= this.observed.durationMs) return `unchanged for ${Math.round(now - this.observed.at)} ms`;
    return undefined;
  }

  /** A write of ours committed (sent at `sentAt`, answered with `etag`). */
  private confirmed(etag: string | undefined, sentAt: number): void {
    this.etag = etag; // undefined: the next round reads the row to learn it
    this.unconfirmedSince = undefined;
    this.observed = undefined;
    this.extend(sentAt);
  }

  private extend(sentAt: number): void {
    if (this.held && !this.isOwner) {
      // The lease lapsed before its expiry callback could say so (a frozen process: what runs first after it may be
      // a renewal). Meanwhile the engine refused work (isOwner was false): a loss and a new acquisition all the same,
      // so that it drops what it held and recovers from storage what it refused.
      this.held = false;
      this.options.onLost();
    }
    const until = sentAt + this.options.timing.durationMs - this.marginMs;
    if (until > this.validUntil) {
      this.validUntil = until;
      this.cancelExpiry?.();
      this.cancelExpiry = this.mono.at(until, () => this.expired());
    }
    this.tell();
  }

  private expired(): void {
    this.cancelExpiry = undefined;
    if (this.held && !this.isOwner && !this.stopped) {
      this.log.warn({ workerId: this.options.workerId }, 'durable: hub lease not renewed in time; stopped dispatching');
    }
    this.tell();
  }

  private lose(reason: string): void {
    const wasOwner = this.held;
    this.validUntil = Number.NEGATIVE_INFINITY;
    this.etag = undefined;
    this.unconfirmedSince = undefined;
    this.cancelExpiry?.();
    this.cancelExpiry = undefined;
    if (wasOwner) this.log.warn({ workerId: this.options.workerId, reason }, 'durable: hub lease lost');
    this.tell();
  }

  /** Tells the engine when its belief changed. */
  private tell(): void {
    const owner = this.isOwner;
    if (owner === this.held || this.stopped) return;
    this.held = owner;
    if (owner) {
      this.log.info({ workerId: this.options.workerId, host: this.me.host, pid: this.me.pid }, 'durable: hub lease acquired');
      this.options.onAcquired();
    } else {
      this.options.onLost();
    }
  }

  /** Stops renewing and lets the lease go (marks the row released) if the row is ours. */
  async release(): Promise<void> {
    this.stopped = true;
    this.cancelNext?.();
    this.cancelExpiry?.();
    liveTokens.delete(this.token);
    await this.idle();
    const wrote = this.renewals > 0;
    this.validUntil = Number.NEGATIVE_INFINITY;
    this.held = false;
    if (!wrote) return;
    try {
      const row = await this.store.read();
      if (row?.token === this.token) {
        await this.store.replace(this.entity(true), row.etag);
        this.log.info({ workerId: this.options.workerId }, 'durable: hub lease released');
      }
    } catch (err) {
      this.log.warn({ error: describe(err) }, 'durable: hub lease release failed (others take it after its duration)');
    }
  }
}
