import { randomUUID } from 'node:crypto';
import { hostname as osHostname } from 'node:os';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { HUB_PARTITION, LEASE_ROW } from './keys.js';
import { ConflictError, describe, type HubTable, type Row } from './table-store.js';

export interface LeaseTiming {
  /** How long a lease stays valid without renewal (clock ms). */
  durationMs: number;
  /** How often the owner renews, and a waiting worker retries (clock ms). */
  renewEveryMs: number;
}

/** Where a lease holder runs: the machine's hostname and its process id there. */
export interface LeaseHolder {
  host: string;
  pid: number;
}

/** Leases held by live HubLease objects of THIS process (a pid alone cannot tell two engines in one process apart). */
const liveTokens = new Set<string>();

/** Whether process `pid` exists on this machine (signal 0 only checks; EPERM means it exists but is not ours). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Whether the recorded holder of an unexpired lease is certainly gone, so that it may be taken over at once:
 * - on this machine (same hostname) with a pid that no longer exists (kill -9, then a restart);
 * - on this machine with OUR pid but not one of our live leases: an earlier incarnation (a restarted container
 *   usually gets pid 1 again), or an engine of this process that stopped without releasing.
 * Any other holder (another machine, or a live process here) is waited out until its lease expires.
 */
export function holderIsGone(row: Row, me: LeaseHolder): boolean {
  const host = typeof row.Host === 'string' ? row.Host : undefined;
  const pid = typeof row.Pid === 'number' ? row.Pid : Number(row.Pid);
  if (host === undefined || host !== me.host || !Number.isInteger(pid)) return false;
  if (pid === me.pid) return !liveTokens.has(String(row.Token ?? ''));
  return !processAlive(pid);
}

/**
 * One lease row per hub: the worker holding it is the only one that runs steps and activities. The row names the
 * holder's worker id (a label for logs), hostname, pid and a token of the lease object. A process takes an unexpired
 * lease at once only when its holder is certainly gone (holderIsGone); otherwise it waits until the lease expires.
 * Steps are ETag-guarded anyway, so even two owners by mistake cannot commit the same step twice.
 */
export class HubLease {
  private owned = false;
  private cancelTimer: (() => void) | undefined;
  private busy = false;
  private stopped = false;
  private readonly token = randomUUID();
  private readonly me: LeaseHolder;

  constructor(
    private readonly table: HubTable,
    private readonly clock: Clock,
    private readonly workerId: string,
    private readonly timing: LeaseTiming,
    private readonly logger: Logger,
    private readonly onAcquired: () => void,
    private readonly onLost: () => void,
    holder: LeaseHolder = { host: osHostname(), pid: process.pid },
  ) {
    this.me = holder;
  }

  get isOwner(): boolean {
    return this.owned;
  }

  /** Tries once now, then keeps renewing (owner) or retrying (waiting) on the clock. */
  async start(): Promise<void> {
    liveTokens.add(this.token);
    await this.tick();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.cancelTimer?.();
    this.cancelTimer = this.clock.at(this.clock.now() + this.timing.renewEveryMs, () => {
      void this.tick();
    });
  }

  private async tick(): Promise<void> {
    if (this.busy || this.stopped) return;
    this.busy = true;
    try {
      const got = await this.tryAcquire();
      if (got && !this.owned) {
        this.owned = true;
        this.logger.info({ workerId: this.workerId, host: this.me.host, pid: this.me.pid }, 'durable: hub lease acquired');
        this.onAcquired();
      } else if (!got && this.owned) {
        this.owned = false;
        this.logger.warn({ workerId: this.workerId }, 'durable: hub lease lost to another worker');
        this.onLost();
      }
    } catch (err) {
      // Storage trouble: keep the current belief; the next tick tries again.
      this.logger.warn({ error: describe(err) }, 'durable: hub lease renewal failed');
    } finally {
      this.busy = false;
      this.schedule();
    }
  }

  private entity(expiresAt: number): Row {
    return {
      partitionKey: HUB_PARTITION,
      rowKey: LEASE_ROW,
      Owner: this.workerId,
      Host: this.me.host,
      Pid: this.me.pid,
      Token: this.token,
      ExpiresAt: expiresAt,
      etag: '*',
    };
  }

  private async tryAcquire(): Promise<boolean> {
    const now = this.clock.now();
    const row = await this.table.get(HUB_PARTITION, LEASE_ROW);
    const { etag: _etag, ...entity } = this.entity(now + this.timing.durationMs);
    try {
      if (!row) {
        await this.table.transact([['create', entity]]);
        return true;
      }
      const mine = row.Token === this.token;
      const expiresAt = Number(row.ExpiresAt ?? 0);
      if (!mine && expiresAt > now) {
        // A row written before leases named their host and pid: only the same worker id took it back at once.
        const legacySelf = row.Token === undefined && row.Owner === this.workerId;
        if (!legacySelf && !holderIsGone(row, this.me)) return false;
        this.logger.info({ previousOwner: row.Owner, host: row.Host, pid: row.Pid }, 'durable: the lease holder is gone; taking over its lease now');
      }
      await this.table.transact([['update', entity, 'Replace', { etag: row.etag }]]);
      return true;
    } catch (err) {
      if (err instanceof ConflictError) return false; // someone else wrote it first; decide next tick
      throw err;
    }
  }

  /** Stops renewing and lets the lease go (expires it now) if we hold it. */
  async release(): Promise<void> {
    this.stopped = true;
    this.cancelTimer?.();
    liveTokens.delete(this.token);
    if (!this.owned) return;
    this.owned = false;
    try {
      const row = await this.table.get(HUB_PARTITION, LEASE_ROW);
      if (row && row.Token === this.token) {
        const { etag: _etag, ...entity } = this.entity(0);
        await this.table.transact([['update', entity, 'Replace', { etag: row.etag }]]);
      }
      this.logger.info({ workerId: this.workerId }, 'durable: hub lease released');
    } catch (err) {
      this.logger.warn({ error: describe(err) }, 'durable: hub lease release failed (it will expire)');
    }
  }
}
