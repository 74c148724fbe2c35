/**
 * Writes through a standby reach the owner within about a second. A client operation in a process that is not the
 * lease owner leaves a wake mark (`HubStore.markWake`); such a process also rewrites its presence row every third
 * of a safety-scan period. The owner's safety-scan query returns the marks and presence rows with the messages (no
 * extra call): while some presence row changed since the last scan, a standby is there and the owner takes the marks
 * every `pollMs`; marks a scan found are taken at once. A lone host polls nothing.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { HubSignals, HubStore } from '../store/hub-store.js';

export interface StandbyWakeContext {
  readonly store: HubStore;
  readonly log: Logger;
  readonly workerId: string;
  /** This process holds the lease and is not stopping. */
  isOwner(): boolean;
  track<T>(promise: Promise<T>): void;
  requestStep(instanceId: string): void;
}

/** A worker id as part of a table key: characters a key may not hold replaced. */
function keySafe(workerId: string): string {
  return workerId.replace(/[/\\#?%~\u0000-\u001f\u007f-\u009f]/g, '_').slice(0, 200);
}

export class StandbyWake {
  /** This process's presence row (worker ids are host names: two processes on one machine share one). */
  private readonly presenceId: string;
  /** Presence rows (id → ETag) at the last scan; a new or rewritten one means a standby is there. */
  private standbys = new Map<string, string>();
  private standbyThere = false;
  private polling = false;
  private handles: NodeJS.Timeout[] = [];

  constructor(private readonly ctx: StandbyWakeContext) {
    this.presenceId = `${keySafe(ctx.workerId)}.${process.pid}.${randomUUID().slice(0, 8)}`;
  }

  /** Starts the poll (every `pollMs`) and the presence rewrites (every third of `scanMs`). */
  start(pollMs: number, scanMs: number): void {
    const every = Math.max(1_000, Math.floor((scanMs || 30_000) / 3));
    this.handles = [setInterval(() => this.poll(false), pollMs), setInterval(() => this.markPresence(), every)];
    for (const handle of this.handles) handle.unref();
    this.markPresence();
  }

  stop(): void {
    for (const handle of this.handles) clearInterval(handle);
    this.handles = [];
  }

  /** What a message scan found in the hub partition. */
  onSignals(signals: HubSignals): void {
    const there = [...signals.standbys].some(([id, etag]) => id !== this.presenceId && this.standbys.get(id) !== etag);
    // A row not rewritten over a whole scan period is a process that is gone (or the owner now): it goes.
    for (const [id, etag] of signals.standbys) if (this.standbys.get(id) === etag) this.ctx.track(this.ctx.store.clearPresence(id, etag));
    this.standbys = signals.standbys;
    if (there !== this.standbyThere) {
      const msg = there ? 'durable: a standby is there; polling wake marks' : 'durable: no standby; wake marks are taken at the safety scan';
      this.ctx.log.info({ standbys: signals.standbys.size }, msg);
    }
    this.standbyThere = there;
    if (signals.wakes > 0) this.poll(true);
  }

  /** The owner takes the marks and steps their instances (one poll at a time). */
  private poll(force: boolean): void {
    if (!this.ctx.isOwner() || this.polling || !(force || this.standbyThere)) return;
    this.polling = true;
    const taken = this.ctx.store.takeWakes().then((ids) => {
      for (const id of ids) this.ctx.requestStep(id);
    });
    this.ctx.track(taken.finally(() => (this.polling = false)));
  }

  /** Not the owner: says so in its presence row, so that the owner polls the wake marks its writes leave. */
  private markPresence(): void {
    if (this.ctx.isOwner()) return;
    this.ctx.track(this.ctx.store.markPresence(this.presenceId));
  }
}
