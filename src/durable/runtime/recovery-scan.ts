/**
 * Finding work in the hub's table without reading instances one by one:
 * - on lease acquisition, ONE scan of the hub in pages preloads the unfinished instances into the owner's cache and
 *   arms each one's wake time as its page arrives, so the first ticks go out while the scan goes on (100,000
 *   schedules in Azurite: about 20 s, for it filters and sorts the table for every page).
 *   Preloaded instances' first steps read nothing: reading 10,000 partitions one by one took Azurite 85 s (8.5 ms
 *   each; it scans its table for every query), the scan of all their rows 1.2 s;
 * - as many are preloaded as fit in half the heap V8 may use (preloadLimit); past that, or when the scan fails, ONE
 *   projected query over instance rows arms every wake time, and the rest are read on their first step;
 * - on lease acquisition and on the safety-net period, ONE projected query over inbox and outbox rows finds messages
 *   this process does not know of (written by other processes, or before a crash). Idle instances are never stepped.
 */
import { getHeapStatistics } from 'node:v8';
import type { EngineContext } from '../engine-context.js';
import type { InstanceCache } from './instance-cache.js';
import { describe } from '../store/storage-failures.js';
import type { HubSignals, InstanceVisitor, WakeTime } from '../store/hub-store.js';
import { isTerminal, NO_WAKE } from '../instance-state.js';

export interface ScanContext extends Pick<EngineContext, 'store' | 'log' | 'requestStep' | 'timers' | 'clock'> {
  /** This process knows of the row (a cached inbox row, an outbox row being delivered): no step needed for it. */
  knowsRow(instanceId: string, rowKey: string): boolean;
  cache: Pick<InstanceCache, 'beginPreload' | 'preload' | 'endPreload'>;
  /** What the same query found in the hub partition (wake marks, standby rows). */
  onSignals(signals: HubSignals): void;
  /** Still the owner that began this recovery (the lease was not lost, nor lost and taken again, since). */
  owning(): boolean;
}

/** Heap a cached schedule-like instance takes with its timer and wake time (measured: 4-4.7 KB at 10,000-30,000). */
const PRELOAD_BYTES_PER_INSTANCE = 5_000;

/**
 * Above this many unfinished instances, taking the lease preloads nothing (memory stays what the steps need): as many
 * as fit in half the heap V8 may use, which Node sizes from the container's memory limit (about 300 MB in a 512 Mi
 * pod: 31,000; 4 GB on a machine without a limit: 430,000; `--max-old-space-size=1000`: 110,000). A
 * fixed 20,000 made a hub of 100,000 read every partition one by one after a takeover (Azurite scans its table for
 * each: hours).
 */
export function preloadLimit(heapLimitBytes = getHeapStatistics().heap_size_limit): number {
  return Math.floor(heapLimitBytes / 2 / PRELOAD_BYTES_PER_INSTANCE);
}

/** What a recovery found and did (logged once it is done). */
interface Recovery {
  instances: number;
  waking: number;
  preloaded: number;
  /** The scan saw every instance: no query of wake times is needed after it. */
  complete: boolean;
}

/** On lease acquisition: every unfinished instance is woken at its wake time; unknown messages get a step. */
export async function recoverPendingWork(ctx: ScanContext, limit = preloadLimit()): Promise<void> {
  ctx.log.info('durable: recovering pending work');
  const found = await preloadAndWake(ctx, limit);
  if (!ctx.owning()) return;
  if (!found.complete) await wakeFromWakeTimes(ctx, found);
  ctx.log.info({ instances: found.instances, waking: found.waking, preloaded: found.preloaded, byWakeTimes: !found.complete }, 'durable: wake times loaded');
  await scanForMessages(ctx);
}

/**
 * The scan: unfinished instances into the cache (up to `limit`) and their timers armed as they come. The messages found
 * with a preloaded instance are known to the cache from then on (the message scan skips them), so they are taken care
 * of here as after any read: a due message or an outbox row gets a step, a later message its timer.
 */
async function preloadAndWake(ctx: ScanContext, limit: number): Promise<Recovery> {
  const found: Recovery = { instances: 0, waking: 0, preloaded: 0, complete: false };
  if (limit <= 0) return found;
  const now = ctx.clock.now();
  let stopped = false;
  const stop = (): 'stop' => ((stopped = true), 'stop');
  const scan = ctx.cache.beginPreload();
  const visitor: InstanceVisitor = {
    whole: (snap) => {
      const record = snap.record;
      if (!ctx.owning() || found.preloaded >= limit) return stop();
      if (!record) return undefined;
      found.instances++;
      if (isTerminal(record.status)) return undefined;
      if (ctx.cache.preload(record.instanceId, snap, scan)) {
        found.preloaded++;
        if (snap.outbox.length > 0 || snap.inbox.some((e) => e.at <= now)) ctx.requestStep(record.instanceId);
        for (const entry of snap.inbox) if (entry.at > now) ctx.timers.add(entry.at, record.instanceId);
      }
      wake(ctx, found, record, now);
      return undefined;
    },
    partial: (wakeTime) => {
      if (!ctx.owning()) return stop();
      found.instances++;
      if (!isTerminal(wakeTime.status)) wake(ctx, found, wakeTime, now);
      return undefined;
    },
  };
  try {
    await ctx.store.scanInstances(visitor);
    found.complete = !stopped;
  } catch (err) {
    // Only a shortcut: the wake times come from their own query, the first steps read what the scan did not bring.
    if (ctx.owning()) ctx.log.warn({ error: describe(err), preloaded: found.preloaded }, 'durable: preloading instances failed; reading them on their first step');
  } finally {
    ctx.cache.endPreload(scan);
  }
  return found;
}

/** Every unfinished instance's wake time from ONE projected query (those the scan armed already are not armed twice). */
async function wakeFromWakeTimes(ctx: ScanContext, found: Recovery): Promise<void> {
  const rows = await ctx.store.wakeTimes();
  if (!ctx.owning()) return;
  const now = ctx.clock.now();
  found.instances = rows.length;
  found.waking = 0;
  for (const row of rows) if (!isTerminal(row.status)) wake(ctx, found, row, now);
}

/** Arms the instance's timer at its wake time (a row written before wake times were recorded: now, which records one). */
function wake(ctx: ScanContext, found: Recovery, row: Pick<WakeTime, 'instanceId' | 'nextWakeAt'>, now: number): void {
  const at = row.nextWakeAt ?? now;
  if (at === NO_WAKE) return;
  ctx.timers.add(at, row.instanceId);
  found.waking++;
}

/** The safety net: inbox and outbox rows this process does not know of get a step of their instance. */
export async function scanForMessages(ctx: ScanContext): Promise<void> {
  const { messages, signals } = await ctx.store.scanMessages();
  ctx.onSignals(signals);
  const unknown = new Set<string>();
  for (const row of messages) {
    if (!unknown.has(row.instanceId) && !ctx.knowsRow(row.instanceId, row.rowKey)) unknown.add(row.instanceId);
  }
  for (const instanceId of unknown) ctx.requestStep(instanceId, 'all');
}
