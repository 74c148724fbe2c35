/**
 * Finding work in the hub's table without reading instances one by one:
 * - on lease acquisition, ONE projected query over instance rows loads every unfinished instance's wake time into
 *   the timer queue (due ones fire at once, in due-time order); an instance is read on its first step;
 * - on lease acquisition and on the safety-net period, ONE projected query over inbox and outbox rows finds messages
 *   this process does not know of (written by other processes, or before a crash). Idle instances are never stepped.
 */
import type { EngineContext } from './engine-context.js';
import { isTerminal, NO_WAKE } from './model.js';

export interface ScanContext extends Pick<EngineContext, 'store' | 'log' | 'requestStep' | 'timers' | 'clock'> {
  /** This process knows of the row (a cached inbox row, an outbox row being delivered): no step needed for it. */
  knowsRow(instanceId: string, rowKey: string): boolean;
}

/** On lease acquisition: every unfinished instance is woken at its wake time; unknown messages get a step. */
export async function recoverPendingWork(ctx: ScanContext): Promise<void> {
  ctx.log.info('durable: recovering pending work');
  const rows = await ctx.store.wakeTimes();
  const now = ctx.clock.now();
  let waking = 0;
  for (const row of rows) {
    if (isTerminal(row.status)) continue;
    // A row written before wake times were recorded has none: it is stepped now, which records one.
    const wake = row.nextWakeAt ?? now;
    if (wake === NO_WAKE) continue;
    ctx.timers.add(wake, row.instanceId);
    waking++;
  }
  ctx.log.info({ instances: rows.length, waking }, 'durable: wake times loaded');
  await scanForMessages(ctx);
}

/** The safety net: inbox and outbox rows this process does not know of get a step of their instance. */
export async function scanForMessages(ctx: ScanContext): Promise<void> {
  const messages = await ctx.store.messageRefs();
  const unknown = new Set<string>();
  for (const row of messages) {
    if (!unknown.has(row.instanceId) && !ctx.knowsRow(row.instanceId, row.rowKey)) unknown.add(row.instanceId);
  }
  for (const instanceId of unknown) ctx.requestStep(instanceId, 'all');
}
