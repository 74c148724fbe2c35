/**
 * Counts the task hub's storage calls by kind, in the table client's own HTTP pipeline, so that every round trip the
 * engine makes is seen (including the SDK's own retries: the policy sits after the retry phase). `npm run bench`
 * divides these counts by the ticks delivered to get "storage calls per tick".
 *
 * Counting is always on (a few integer increments per call). Prometheus reads the counts at scrape time as
 * `durable_storage_requests_total{operation}`, and each call's duration goes to
 * `durable_storage_request_duration_seconds{operation}`. The bench's report is off the product's normal surface: only
 * when the host runs with HOST_STORAGE_METRICS=1 does SIGUSR2 make it print one JSON line to stdout:
 * `{"storageMetrics":{"calls":{"read":12,...},"total":40},"rssBytes":...,"cpuMicros":{"user":...,"system":...}}`.
 */
import { writeSync } from 'node:fs';
import type { TableClient } from '@azure/data-tables';
import { Counter, Histogram } from 'prom-client';
import { once } from '../../engine-metrics.js';

type PipelinePolicy = Parameters<TableClient['pipeline']['addPolicy']>[0];
type PipelineRequest = Parameters<PipelinePolicy['sendRequest']>[0];

/** The kinds of storage call, named for what the engine asks of the table service. */
export type StorageCallKind = 'read' | 'query' | 'transaction' | 'insert' | 'update' | 'delete' | 'createTable' | 'other';

/** Environment variable that enables the SIGUSR2 report (read when the first policy is created). */
export const STORAGE_METRICS_ENV = 'HOST_STORAGE_METRICS';

const counts = new Map<StorageCallKind, number>();
let reporting = false;

/** Classifies one Table service request by its method and path (the REST API's shapes, Azurite's and Azure's alike). */
export function classifyStorageCall(method: string, url: string): StorageCallKind {
  const path = decodeURIComponent(new URL(url).pathname);
  const verb = method.toUpperCase();
  if (verb === 'GET') return /\(.*PartitionKey=.*RowKey=.*\)$/.test(path) ? 'read' : 'query';
  if (verb === 'POST') {
    if (path.endsWith('/$batch')) return 'transaction';
    if (/\/Tables$/i.test(path)) return 'createTable';
    return 'insert';
  }
  if (verb === 'PUT' || verb === 'PATCH' || verb === 'MERGE') return 'update';
  if (verb === 'DELETE') return 'delete';
  return 'other';
}

once('durable_storage_requests_total', () => new Counter({
  name: 'durable_storage_requests_total',
  help: 'Requests to the task hub storage, by operation (SDK retries included)',
  labelNames: ['operation'] as const,
  collect() {
    this.reset();
    for (const [operation, count] of counts) this.inc({ operation }, count);
  },
}));

const requestDuration = once('durable_storage_request_duration_seconds', () => new Histogram({
  name: 'durable_storage_request_duration_seconds',
  help: 'Duration of one task hub storage request, by operation',
  labelNames: ['operation'] as const,
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
}));

const groupSizes = once('durable_group_commit_steps', () => new Histogram({
  name: 'durable_group_commit_steps',
  help: 'Steps one transaction of the task hub committed (group commit: steps of one partition go together)',
  buckets: [1, 2, 4, 8, 16, 32, 64],
}));

const grouped = { transactions: 0, steps: 0 };

/** One step transaction went out with `steps` steps in it (group-commit.ts). */
export const groupCommitSteps = {
  observe(steps: number): void {
    grouped.transactions++;
    grouped.steps += steps;
    groupSizes.observe(steps);
  },
};

/** Step transactions and the steps they held, since the process started. */
export function groupCommitTotals(): { transactions: number; steps: number } {
  return { ...grouped };
}

/** A snapshot of the counters since the process started. */
export function storageCallCounts(): { calls: Partial<Record<StorageCallKind, number>>; total: number } {
  const calls: Partial<Record<StorageCallKind, number>> = {};
  let total = 0;
  for (const [kind, count] of counts) {
    calls[kind] = count;
    total += count;
  }
  return { calls, total };
}

function report(): void {
  const line = {
    storageMetrics: storageCallCounts(),
    groupCommit: groupCommitTotals(),
    rssBytes: process.memoryUsage().rss,
    cpuMicros: process.cpuUsage(),
    at: Date.now(),
  };
  // One synchronous write of one whole line: the loggers on fd 1 also write whole lines, so none is ever cut.
  writeSync(1, `${JSON.stringify(line)}\n`);
}

/** The pipeline policy HubTable adds to its TableClient. */
export function storageMetricsPolicy(): PipelinePolicy {
  if (!reporting && process.env[STORAGE_METRICS_ENV] === '1') {
    reporting = true;
    process.on('SIGUSR2', report);
  }
  return {
    name: 'storageMetrics',
    sendRequest(request: PipelineRequest, next) {
      const kind = classifyStorageCall(request.method, request.url);
      counts.set(kind, (counts.get(kind) ?? 0) + 1);
      const started = performance.now();
      const observe = (): void => requestDuration.observe({ operation: kind }, (performance.now() - started) / 1000);
      const sent = next(request);
      sent.then(observe, observe);
      return sent;
    },
  };
}
