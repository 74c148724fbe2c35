/**
 * The hub upgrade (hub-upgrade.ts) rewrites every instance's rows: it runs only while no host works on the hub. It
 * holds the hub's lease as an engine does (hub-lease.ts), so no engine becomes owner meanwhile, and it refuses when a
 * host is there:
 * - a lease whose holder crashed stands still: it is waited out (its declared duration, as any engine waits);
 * - a running owner renews its lease: the row changes under the wait, and the upgrade stops at once;
 * - a running standby (not the owner) rewrites its presence row (`~hub`/`standby~…`, standby-wake.ts) every third
 *   of the engine's safety scan: the rows are watched a little longer than that; rows nobody rewrites are left by
 *   hosts that stopped.
 * Every wait is bounded and says what it waits for.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { STANDBY_PREFIX } from '../../keys.js';
import { DEFAULT_LEASE_TIMING, HubLease, type LeaseTiming } from '../../lease/hub-lease.js';
import type { LeaseRow } from '../../lease/lease-row.js';
import { hubRows } from './hub-layout.js';
import { TableLeaseStore } from './lease-store.js';
import type { HubTable } from './table-store.js';

export interface SoleAccessOptions {
  logger: Logger;
  /** The lease the upgrade holds; default the engine's (tests shorten it). */
  lease?: LeaseTiming;
  /** How long standby presence rows are watched for a rewrite (ms); default PRESENCE_WATCH_MS. */
  presenceWatchMs?: number;
  /** How often the lease row and the presence rows are read while waiting (ms). */
  pollMs?: number;
}

/** A standby rewrites its row every 10 s (a third of the engine's 30 s safety scan): one period and some slack. */
const PRESENCE_WATCH_MS = 12_000;
const POLL_MS = 500;
const STOP_HOSTS = 'stop every host of this task hub first, then run the upgrade again';

/** A host runs on the hub: the upgrade did not start. */
export class HubInUseError extends Error {
  readonly code = 'HUB_IN_USE';
}

/** Holds the hub's lease once no host runs on it (release it when done); throws HubInUseError otherwise. */
export async function takeSoleAccess(table: HubTable, options: SoleAccessOptions): Promise<HubLease> {
  const lease = await takeLease(table, options);
  try {
    await refuseLiveStandbys(table, options);
    return lease;
  } catch (err) {
    await lease.release();
    throw err;
  }
}

function holderOf(row: LeaseRow | undefined): string {
  return row ? `${row.owner ?? 'a worker'} (host ${row.host ?? '?'}, pid ${row.pid ?? '?'})` : 'nobody';
}

async function takeLease(table: HubTable, options: SoleAccessOptions): Promise<HubLease> {
  const store = new TableLeaseStore(table);
  // Its own worker id: a row written under it is ours, whatever our HubLease has confirmed so far.
  const workerId = `hub-upgrade.${process.pid}.${randomUUID().slice(0, 8)}`;
  const timing = options.lease ?? DEFAULT_LEASE_TIMING;
  const first = await store.read();
  const lease = new HubLease({ store, workerId, timing, logger: options.logger, onAcquired: () => undefined, onLost: () => undefined });
  await lease.start();
  if (lease.isOwner) return lease;
  try {
    await waitForLease(lease, store, first, workerId, options);
    return lease;
  } catch (err) {
    await lease.release();
    throw err;
  }
}

/** Waits (bounded) for the lease to lapse; a renewal by its holder meanwhile means a running host. */
async function waitForLease(lease: HubLease, store: TableLeaseStore, first: LeaseRow | undefined, workerId: string, options: SoleAccessOptions): Promise<void> {
  const timing = options.lease ?? DEFAULT_LEASE_TIMING;
  const pollMs = options.pollMs ?? POLL_MS;
  const limitMs = (first?.durationMs ?? timing.durationMs) + timing.renewEveryMs + pollMs;
  options.logger.info(
    `hub upgrade: the hub's lease is held by ${holderOf(first)}; waiting up to ${Math.ceil(limitMs / 1000)} s for it to lapse (a stopped host's lease lapses, a running host renews it)`,
  );
  const started = performance.now();
  while (!lease.isOwner) {
    if (performance.now() - started > limitMs) throw new HubInUseError(`the hub's lease, held by ${holderOf(first)}, did not lapse within ${Math.ceil(limitMs / 1000)} s: ${STOP_HOSTS}`);
    await sleep(pollMs);
    const row = await store.read();
    const renewed = row !== undefined && row.etag !== first?.etag && row.owner !== workerId && !row.released;
    if (renewed) throw new HubInUseError(`a running host holds the hub's lease: ${holderOf(row)} renewed it during the wait; ${STOP_HOSTS}`);
  }
}

/** Presence rows of standbys: id → ETag. */
async function presenceRows(table: HubTable): Promise<Map<string, string>> {
  const rows = await table.list(hubRows(STANDBY_PREFIX), ['PartitionKey', 'RowKey']);
  return new Map(rows.map((row) => [row.rowKey.slice(STANDBY_PREFIX.length), row.etag]));
}

async function refuseLiveStandbys(table: HubTable, options: SoleAccessOptions): Promise<void> {
  const first = await presenceRows(table);
  if (first.size === 0) return;
  const watchMs = options.presenceWatchMs ?? PRESENCE_WATCH_MS;
  options.logger.info(`hub upgrade: ${first.size} standby presence row(s) in the hub; watching them ${Math.ceil(watchMs / 1000)} s for a rewrite (a running standby host rewrites its row)`);
  const started = performance.now();
  while (performance.now() - started < watchMs) {
    await sleep(options.pollMs ?? POLL_MS);
    const live = [...(await presenceRows(table))].find(([id, etag]) => first.get(id) !== etag);
    if (live) throw new HubInUseError(`a standby host runs on the hub (its presence row ${live[0]} was written during the watch): ${STOP_HOSTS}`);
  }
  options.logger.info('hub upgrade: no standby row was rewritten: they were left by hosts that stopped');
}
