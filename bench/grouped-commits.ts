/**
 * What the storage charges per instance commit by the shape of the commit (issue #19's group-commit lever): the
 * same writes (an instance row replaced, a history row added: a step's smallest commit) as one entity-group
 * transaction per instance, as the engine commits today, and as one transaction per ten instances sharing a
 * partition, as a partitioned hub could. Through the product's own table client, on the bench's Azurite, in its own
 * table; Azurite's CPU from /proc and this process's own, per instance commit, both shapes alternating in one run.
 */
import { createLogger } from '../src/eventsource/observability/logger.js';
import { HubTable } from '../src/durable/store/azure-tables/table-store.js';
import type { BenchEnv } from './bench-env.js';
import { cpuSeconds } from './proc-stats.js';

export interface GroupedCommitsResult {
  /** CPU ms per instance commit, one instance per transaction: Azurite's and the client's. */
  alone: { azuriteMs: number; clientMs: number };
  /** The same with `group` instances per transaction. */
  grouped: { azuriteMs: number; clientMs: number };
  group: number;
  commits: number;
}

/** Instances to a transaction in the grouped shape. */
export const COMMIT_GROUP = 10;
const CONCURRENCY = 8;
const PAYLOAD = 'x'.repeat(600);

type Shape = { azuriteMs: number; clientMs: number };

async function commitAll(table: HubTable, tag: string, transactions: number, perTransaction: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let t = next++; t < transactions; t = next++) {
      const partitionKey = `${tag}-${t}`;
      const actions: Parameters<HubTable['transact']>[0] = [];
      for (let i = 0; i < perTransaction; i++) {
        actions.push(['upsert', { partitionKey, rowKey: `instance~${i}`, Status: 'Running', Input: PAYLOAD }, 'Replace']);
        actions.push(['create', { partitionKey, rowKey: `h~${i}`, Event: PAYLOAD }]);
      }
      await table.transact(actions);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

async function measure(env: BenchEnv, table: HubTable, tag: string, commits: number, perTransaction: number): Promise<Shape> {
  const azurite0 = cpuSeconds(env.azurite.process.pid) ?? 0;
  const client0 = process.cpuUsage();
  await commitAll(table, tag, commits / perTransaction, perTransaction);
  const client = process.cpuUsage(client0);
  const azurite = (cpuSeconds(env.azurite.process.pid) ?? 0) - azurite0;
  return { azuriteMs: (azurite * 1000) / commits, clientMs: (client.user + client.system) / 1000 / commits };
}

const mean = (shapes: Shape[]): Shape => ({
  azuriteMs: shapes.reduce((s, x) => s + x.azuriteMs, 0) / shapes.length,
  clientMs: shapes.reduce((s, x) => s + x.clientMs, 0) / shapes.length,
});

export async function measureGroupedCommits(env: BenchEnv, commits: number, rounds: number): Promise<GroupedCommitsResult> {
  const table = new HubTable(env.azurite.connectionString, `B${env.runId}commits`.replace(/[^A-Za-z0-9]/g, '').slice(0, 60), createLogger({ level: 'silent' }), { stopping: () => false });
  await table.client.createTable();
  try {
    const alone: Shape[] = [];
    const grouped: Shape[] = [];
    for (let round = 0; round < rounds; round++) {
      alone.push(await measure(env, table, `alone${round}`, commits, 1));
      grouped.push(await measure(env, table, `grouped${round}`, commits, COMMIT_GROUP));
    }
    return { alone: mean(alone), grouped: mean(grouped), group: COMMIT_GROUP, commits: commits * rounds };
  } finally {
    await table.client.deleteTable();
  }
}
