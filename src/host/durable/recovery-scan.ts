/** Scans of the hub's table for work: recovery when the lease is acquired, and the periodic safety net. */
import type { EngineContext } from './engine-context.js';
import { INBOX_PREFIX, INSTANCE_ROW, instanceIdOf, OUTBOX_PREFIX } from './keys.js';
import { isTerminal } from './model.js';
import { quote } from './partition-snapshot.js';
import type { RuntimeStatus } from './types.js';

type ScanContext = Pick<EngineContext, 'bg' | 'log' | 'requestStep'>;

/** On lease acquisition: every unfinished instance, undelivered outbox and unread inbox gets a step. */
export async function recoverPendingWork(ctx: ScanContext): Promise<void> {
  ctx.log.info('durable: recovering pending work');
  await scanForWork(ctx);
}

export async function scanForWork(ctx: ScanContext): Promise<void> {
  const instances = await ctx.bg.list(`RowKey eq ${quote(INSTANCE_ROW)}`, ['PartitionKey', 'RowKey', 'RuntimeStatus']);
  for (const row of instances) {
    if (!isTerminal(String(row.RuntimeStatus) as RuntimeStatus)) ctx.requestStep(instanceIdOf(row.partitionKey));
  }
  const messages = await ctx.bg.list(
    `(RowKey ge ${quote(OUTBOX_PREFIX)} and RowKey lt ${quote(`${OUTBOX_PREFIX}~`)}) or (RowKey ge ${quote(INBOX_PREFIX)} and RowKey lt ${quote(`${INBOX_PREFIX}~`)})`,
    ['PartitionKey', 'RowKey'],
  );
  for (const pk of new Set(messages.map((r) => r.partitionKey))) ctx.requestStep(instanceIdOf(pk));
}
