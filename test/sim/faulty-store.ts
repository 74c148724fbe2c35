/**
 * The simulation's storage faults, at the engine's storage seam (HubStore): a wrapper around the memory store that,
 * drawing from the seed, delays a call, answers "unavailable" (client calls only: the owner's store retries until
 * shutdown, as the Azure store does), loses the answer of a write that was applied (the store's retry then sees what
 * the Azure store's retry sees: 412/409 for a guarded write or an insert, nothing for a delete), or crashes the host
 * at that await (the write applied or not, then every later call of that host fails). No hook inside the engine.
 */
import type { LeaseWrite } from '../../src/durable/lease/lease-row.js';
import { ConflictError, StorageUnavailableError } from '../../src/durable/errors.js';
import type { HubStore, LeaseStore, PreparedStep, StoreControl } from '../../src/durable/store/hub-store.js';
import type { Prng } from './prng.js';

export interface FaultRates {
  /** A call waits a few real milliseconds (other work interleaves). */
  delay: number;
  /** A client call fails with StorageUnavailableError (its retry budget ran out); nothing applied. */
  unavailable: number;
  /** A write applies but its answer is lost; the caller sees what a retry of it would see. */
  lostAnswer: number;
  /** The host crashes at this await (at most once per host). */
  crash: number;
  /** A lease renewal loses to a conflict (as if another worker wrote the row): the owner stops, then takes it again. */
  leaseLoss: number;
}

export const NO_FAULTS: FaultRates = { delay: 0, unavailable: 0, lostAnswer: 0, crash: 0, leaseLoss: 0 };

/** What the store did to the host, for the history and the driver. */
export interface FaultLog {
  (line: string): void;
}

/** Kinds of write: what a retry after a lost answer would have seen. */
type WriteKind = 'guarded' | 'insert' | 'delete';

class HostCrashed extends StorageUnavailableError {}

/** One host's view of the shared store: its faults, and its death when it crashes. */
export class FaultyStores {
  dead = false;
  /** No more faults (the end of a history drains on a calm store). */
  calm = false;
  crashedAt: string | undefined;
  /**
   * Real (monotonic) time until which this host's engine holds the lease by its own reckoning (HubLease: a write that
   * committed extends it to its send time + duration - margin; a refused renewal or a release ends it). The world
   * moves virtual time only while some host holds it: a lapse (a stalled process, a renewal that lost) is real time the
   * virtual clock must not skip, as a 30 s production lease is not lost to a short stall.
   */
  private leaseUntil = Number.NEGATIVE_INFINITY;
  private crashes = 0;
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly inner: HubStore,
    private readonly prng: Prng,
    private readonly rates: FaultRates,
    private readonly log: FaultLog,
  ) {}

  /** The StoreFactory of this host's engine. */
  open(control: StoreControl): HubStore {
    return faulty(this, this.inner, control);
  }

  /**
   * The draws of one call: from (seed, host, operation, how many such calls came before), so that calls made on real
   * time (lease renewals, scans) do not shift the faults of the others, and a replay meets the same faults.
   */
  private drawsFor(label: string): Prng {
    const n = (this.counts.get(label) ?? 0) + 1;
    this.counts.set(label, n);
    return this.prng.fork(`${label}#${n}`);
  }

  async call<T>(label: string, control: StoreControl, kind: WriteKind | 'read', op: () => Promise<T>, lost?: () => T): Promise<T> {
    if (this.dead) throw new HostCrashed(`host crashed (${label})`);
    // The client's reads stay calm: the driver polls them a number of times that depends on timing, which would shift
    // the draws of every later call.
    if (this.calm || (kind === 'read' && control.budgetMs !== undefined)) return op();
    const p = this.drawsFor(`${control.budgetMs === undefined ? 'owner' : 'client'}:${label}`);
    if (p.chance(this.rates.delay)) await new Promise((resolve) => setTimeout(resolve, p.int(1, 5)));
    if (control.budgetMs !== undefined && p.chance(this.rates.unavailable)) {
      this.log(`storage unavailable: ${label}`);
      throw new StorageUnavailableError(`storage unavailable during ${label} (simulated)`);
    }
    const crash = this.crashes === 0 && control.budgetMs === undefined && p.chance(this.rates.crash);
    if (crash && p.chance(0.5)) return this.die(label, 'before');
    const result = await op();
    if (crash) return this.die(label, 'after');
    if (kind !== 'read' && p.chance(this.rates.lostAnswer)) {
      this.log(`answer lost: ${label}`);
      if (kind === 'delete') return result;
      if (lost) return lost();
      throw new ConflictError(kind === 'insert' ? 409 : 412, `${label}: answer lost, the retry found the write (simulated)`);
    }
    return result;
  }

  /** This host's engine owns the lease now (see leaseUntil). */
  get holdsLease(): boolean {
    return !this.dead && performance.now() < this.leaseUntil;
  }

  /** A lease write sent at `sentAt` (monotonic) of `write`: committed, or refused (undefined). */
  leaseWritten(sentAt: number, write: LeaseWrite | undefined): void {
    if (write === undefined || write.released) this.leaseUntil = Number.NEGATIVE_INFINITY;
    else this.leaseUntil = Math.max(this.leaseUntil, sentAt + write.durationMs - Math.floor(write.durationMs / 6));
  }

  leaseLost(): boolean {
    return !this.calm && this.drawsFor('lease-loss').chance(this.rates.leaseLoss);
  }

  private die(label: string, when: string): never {
    this.crashes++;
    this.dead = true;
    this.crashedAt = `${label} (${when} it applied)`;
    this.log(`host crashed at ${this.crashedAt}`);
    throw new HostCrashed(`host crashed (${label})`);
  }
}

function faulty(f: FaultyStores, s: HubStore, c: StoreControl): HubStore {
  return {
    ensureReady: () => f.call('ensureReady', c, 'read', () => s.ensureReady()),
    loadInstance: (id) => f.call('loadInstance', c, 'read', () => s.loadInstance(id)),
    scanInstances: (visit) => f.call('scanInstances', c, 'read', () => s.scanInstances(visit)),
    readInbox: (id) => f.call('readInbox', c, 'read', () => s.readInbox(id)),
    prepareStep: (snap, plan) => s.prepareStep(snap, plan),
    commitStep: (step: PreparedStep) => f.call('commitStep', c, 'guarded', () => s.commitStep(step)),
    deleteRows: (id, keys) => f.call('deleteRows', c, 'delete', () => s.deleteRows(id, keys)),
    wakeTimes: () => f.call('wakeTimes', c, 'read', () => s.wakeTimes()),
    messageRefs: () => f.call('messageRefs', c, 'read', () => s.messageRefs()),
    scanMessages: () => f.call('scanMessages', c, 'read', () => s.scanMessages()),
    // The standby's wake marks and presence rows: upserts and deletes, whose lost answers change nothing.
    markWake: (id) => f.call('markWake', c, 'delete', () => s.markWake(id)),
    takeWakes: () => f.call('takeWakes', c, 'read', () => s.takeWakes()),
    markPresence: (id) => f.call('markPresence', c, 'delete', () => s.markPresence(id)),
    clearPresence: (id, etag) => f.call('clearPresence', c, 'delete', () => s.clearPresence(id, etag)),
    readInstance: (id) => f.call('readInstance', c, 'read', () => s.readInstance(id)),
    readHistory: (id, execution) => f.call('readHistory', c, 'read', () => s.readHistory(id, execution)),
    startInstance: (record, start, replacing) =>
      f.call('startInstance', c, replacing ? 'guarded' : 'insert', () => s.startInstance(record, start, replacing)),
    insertMessage: (id, entry) => f.call('insertMessage', c, 'insert', () => s.insertMessage(id, entry)),
    listInstances: (filter) => f.call('listInstances', c, 'read', () => s.listInstances(filter)),
    pageInstances: (filter, top, token) => f.call('pageInstances', c, 'read', () => s.pageInstances(filter, top, token)),
    listInstanceIds: (filter) => f.call('listInstanceIds', c, 'read', () => s.listInstanceIds(filter)),
    // A lost answer of a guarded delete: the retry finds the row gone and answers false.
    deleteInstanceRow: (id, etag) => f.call('deleteInstanceRow', c, 'guarded', () => s.deleteInstanceRow(id, etag), () => false),
    rowKeysOf: (id) => f.call('rowKeysOf', c, 'read', () => s.rowKeysOf(id)),
    afterPurge: (id) => f.call('afterPurge', c, 'delete', () => s.afterPurge(id)),
    lease: faultyLease(f, s.lease, c),
  };
}

function faultyLease(f: FaultyStores, lease: LeaseStore, c: StoreControl): LeaseStore {
  /** Tells `f` whether the write committed (an answer lost after it applied counts as refused: the engine thinks so). */
  const tracked = async <T>(write: LeaseWrite, op: () => Promise<T>): Promise<T> => {
    const sentAt = performance.now();
    try {
      const result = await op();
      f.leaseWritten(sentAt, write);
      return result;
    } catch (error) {
      f.leaseWritten(sentAt, undefined);
      throw error;
    }
  };
  return {
    read: () => f.call('lease.read', c, 'read', () => lease.read()),
    create: (write: LeaseWrite) => tracked(write, () => f.call('lease.create', c, 'insert', () => lease.create(write))),
    replace: (write: LeaseWrite, etag: string) =>
      tracked(write, () => {
        if (!f.dead && f.leaseLost()) return Promise.reject(new ConflictError(412, 'lease row changed (simulated lease loss)'));
        return f.call('lease.replace', c, 'guarded', () => lease.replace(write, etag));
      }),
  };
}
