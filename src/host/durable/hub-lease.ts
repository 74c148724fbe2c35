import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { HUB_PARTITION, LEASE_ROW } from './keys.js';
import { ConflictError, describe, type HubTable } from './table-store.js';

export interface LeaseTiming {
  /** How long a lease stays valid without renewal (clock ms). */
  durationMs: number;
  /** How often the owner renews, and a waiting worker retries (clock ms). */
  renewEveryMs: number;
}

/**
 * One lease row per hub: the worker holding it is the only one that runs steps and activities. A worker with the same
 * id (the same host restarted) takes its own lease back at once; another one waits until it expires. Steps are
 * ETag-guarded anyway, so even two owners by mistake cannot commit the same step twice.
 */
export class HubLease {
  private owned = false;
  private cancelTimer: (() => void) | undefined;
  private busy = false;
  private stopped = false;

  constructor(
    private readonly table: HubTable,
    private readonly clock: Clock,
    private readonly workerId: string,
    private readonly timing: LeaseTiming,
    private readonly logger: Logger,
    private readonly onAcquired: () => void,
    private readonly onLost: () => void,
  ) {}

  get isOwner(): boolean {
    return this.owned;
  }

  /** Tries once now, then keeps renewing (owner) or retrying (waiting) on the clock. */
  async start(): Promise<void> {
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
        this.logger.info({ workerId: this.workerId }, 'durable: hub lease acquired');
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

  private async tryAcquire(): Promise<boolean> {
    const now = this.clock.now();
    const row = await this.table.get(HUB_PARTITION, LEASE_ROW);
    const entity = { partitionKey: HUB_PARTITION, rowKey: LEASE_ROW, Owner: this.workerId, ExpiresAt: now + this.timing.durationMs };
    try {
      if (!row) {
        await this.table.transact([['create', entity]]);
        return true;
      }
      const owner = String(row.Owner ?? '');
      const expiresAt = Number(row.ExpiresAt ?? 0);
      if (owner !== this.workerId && expiresAt > now) return false;
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
    if (!this.owned) return;
    this.owned = false;
    try {
      const row = await this.table.get(HUB_PARTITION, LEASE_ROW);
      if (row && row.Owner === this.workerId) {
        await this.table.transact([['update', { partitionKey: HUB_PARTITION, rowKey: LEASE_ROW, Owner: this.workerId, ExpiresAt: 0 }, 'Replace', { etag: row.etag }]]);
      }
      this.logger.info({ workerId: this.workerId }, 'durable: hub lease released');
    } catch (err) {
      this.logger.warn({ error: describe(err) }, 'durable: hub lease release failed (it will expire)');
    }
  }
}
