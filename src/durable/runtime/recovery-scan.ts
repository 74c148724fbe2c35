/**
 * Finding work in the hub's table without reading instances one by one:
 * - on lease acquisition, ONE projected query over instance rows loads every unfinished instance's wake time into
 *   the timer queue (due ones fire at once, in due-time order);
 * - before the timers start, the unfinished instances are preloaded into the owner's cache by ONE scan of the hub in
 *   pages, so their first steps read nothing: reading 10,000 partitions one by one took Azurite 85 s (8.5 ms each; it
 *   scans its table for every query), the scan of all their rows 1.2 s. As many as fit in half the heap V8 may use
 *   (preloadLimit); a bigger hub reads each instance on its first step, as before;
 * - on lease acquisition and on the safety-net period, ONE projected query over inbox and outbox rows finds messages
 *   this process does not know of (written by other processes, or before a crash). Idle instances are never stepped.
 */
import { getHeapStatistics } from 'node:v8';
import type { EngineContext } from '../engine-context.js';
import type { InstanceCache } from './instance-cache.js';
import { describe } from '../store/storage-failures.js';
import type { HubSignals } from '../store/hub-store.js';
import { isTerminal, NO_WAKE } from '../instance-state.js';

export interface ScanContext extends Pick<EngineContext, 'store' | 'log' | 'requestStep' | 'timers' | 'clock'> {
  /** This process knows of the row (a cached inbox row, an outbox row being delivered): no step needed for it. */
  knowsRow(instanceId: string, rowKey: string): boolean;
  cache: Pick<InstanceCache, 'beginPreload' | 'preload' | 'endPreload'>;
  /** What the same query found in the hub partition (wake marks, standby rows). */
  onSignals(signals: HubSignals): void;
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

/** On lease acquisition: every unfinished instance is woken at its wake time; unknown messages get a step. */
export async function recoverPendingWork(ctx: ScanContext): Promise<void> {
  ctx.log.info('durable: recovering pending work');
  const rows = await ctx.store.wakeTimes();
  const unfinished = rows.filter((row) => !isTerminal(row.status));
  const now = ctx.clock.now();
  const preloaded = unfinished.length <= preloadLimit() ? await preload(ctx, new Set(unfinished.map((r) => r.instanceId)), now) : 0;
  let waking = 0;
  for (const row of unfinished) {
    // A row written before wake times were recorded has none: it is stepped now, which records one.
    const wake = row.nextWakeAt ?? now;
    if (wake === NO_WAKE) continue;
    ctx.timers.add(wake, row.instanceId);
    waking++;
  }
  ctx.log.info({ instances: rows.length, waking, preloaded }, 'durable: wake times loaded');
  await scanForMessages(ctx);
}

/**
 * The unfinished instances' partitions into the owner's cache, from one scan; how many were kept. The messages found
 * with them are known to the cache from then on (the message scan skips them), so they are taken care of here as
 * after any read: a due message or an outbox row gets a step, a later message its timer.
 */
async function preload(ctx: ScanContext, unfinished: Set<string>, now: number): Promise<number> {
  if (unfinished.size === 0) return 0;
  let kept = 0;
  const stepNow: string[] = [];
  ctx.cache.beginPreload();
  try {
    await ctx.store.scanInstances((snap) => {
      const id = snap.record?.instanceId;
      if (id === undefined || !unfinished.has(id) || !ctx.cache.preload(id, snap)) return;
      kept++;
      if (snap.outbox.length > 0 || snap.inbox.some((e) => e.at <= now)) stepNow.push(id);
      for (const entry of snap.inbox) if (entry.at > now) ctx.timers.add(entry.at, id);
    });
  } catch (err) {
    // Only a shortcut: the first steps read what the scan did not bring.
    ctx.log.warn({ error: describe(err), kept }, 'durable: preloading instances failed; reading them on their first step');
  } finally {
    ctx.cache.endPreload();
  }
  for (const id of stepNow) ctx.requestStep(id);
  return kept;
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
