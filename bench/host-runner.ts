/**
 * The embedded host as the bench runs it: `node dist/src/host/main.js <repo>` as a child process (as `npm start`
 * and the e2e tests do), with HOST_STORAGE_METRICS=1 so that SIGUSR2 makes it print its storage-call counters.
 * With `memoryStore`, the same host and app on the engine's memory store instead (memory-host-process.ts).
 */
import { appendFileSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { freePort } from '../src/host/storage/azurite.js';
import type { StorageCallKind } from '../src/durable/store/azure-tables/storage-metrics.js';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
const MAIN = path.join(REPO_ROOT, 'dist', 'src', 'host', 'main.js');
const MEMORY_MAIN = path.join(__dirname, 'memory-host-process.js');

export interface HostMetrics {
  calls: Partial<Record<StorageCallKind, number>>;
  total: number;
  rssBytes: number;
  /** Step transactions and the steps they held (group commit), since the host started. */
  groupCommit: { transactions: number; steps: number };
}

export interface BenchHostOptions {
  storage: string;
  /** Run the host on the engine's memory store (no storage calls; `storage` is then never connected to). */
  memoryStore?: boolean;
  sink: string;
  taskHubName: string;
  /** Extra settings (e.g. CATCH_UP_WINDOW). */
  env?: Record<string, string>;
  port?: number;
  /** Told the child's pid as soon as it is spawned (to sample its memory while it starts, before it is ready). */
  onSpawn?: (pid: number | undefined) => void;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class BenchHost {
  readonly url: string;
  readonly spawnedAt = Date.now();
  private readonly tail: string[] = [];
  private metricsWaiters: ((metrics: HostMetrics) => void)[] = [];
  private readonly exited: Promise<void>;

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
  ) {
    this.url = `http://127.0.0.1:${port}`;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    createInterface({ input: child.stdout! }).on('line', (line) => this.onLine(line));
    createInterface({ input: child.stderr! }).on('line', (line) => this.keep(`stderr: ${line}`));
  }

  /** Starts a host and waits until /api/healthz answers. */
  static async start(options: BenchHostOptions, readyTimeoutMs = 60_000): Promise<BenchHost> {
    const port = options.port ?? (await freePort());
    const child = spawn(process.execPath, [options.memoryStore ? MEMORY_MAIN : MAIN, REPO_ROOT], {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        AzureWebJobsStorage: options.storage,
        K_SINK: options.sink,
        TaskHubName: options.taskHubName,
        // The app's own starter schedule: named apart from the bench's and idle for the whole run.
        SCHEDULE_NAME: 'bench-starter',
        SCHEDULE: '24h',
        LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
        HOST_STORAGE_METRICS: '1',
        FUNCTIONS_PORT: String(port),
        // BENCH_HOST_NODE_OPTIONS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`) profiles the host.
        ...(process.env.BENCH_HOST_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_HOST_NODE_OPTIONS } : {}),
        // An A/B of where episodes run (the host default: 0, in its own thread).
        ...(process.env.EMBEDDED_HOST_ORCHESTRATOR_THREADS ? { EMBEDDED_HOST_ORCHESTRATOR_THREADS: process.env.EMBEDDED_HOST_ORCHESTRATOR_THREADS } : {}),
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    options.onSpawn?.(child.pid);
    const host = new BenchHost(child, port);
    await host.waitReady(readyTimeoutMs);
    return host;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async waitReady(timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`host exited before it was ready\n${this.tail.join('\n')}`);
      try {
        const response = await fetch(`${this.url}/api/healthz`, { signal: AbortSignal.timeout(1_000) });
        await response.arrayBuffer();
        if (response.ok) return Date.now();
      } catch {
        // not listening yet
      }
      await sleep(25);
    }
    throw new Error(`host not ready within ${timeoutMs} ms\n${this.tail.join('\n')}`);
  }

  /** The storage-call counters and RSS, as the host reports them on SIGUSR2. */
  metrics(timeoutMs = 30_000): Promise<HostMetrics> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the host did not report its metrics')), timeoutMs);
      this.metricsWaiters.push((metrics) => {
        clearTimeout(timer);
        resolve(metrics);
      });
      this.child.kill('SIGUSR2');
    });
  }

  async kill9(): Promise<void> {
    if (this.running && process.env.BENCH_HOST_NODE_OPTIONS) {
      // A profiled host writes its profile only when it exits by itself: ask it first.
      this.child.kill('SIGTERM');
      await Promise.race([this.exited, sleep(10_000)]);
    }
    if (this.running) this.child.kill('SIGKILL');
    await this.exited;
  }

  /** The last log lines (diagnostics). */
  lastLines(): string[] {
    return [...this.tail];
  }

  /** When this host logged that its recovery had every wake time armed (the hub taken over), if it did. */
  tookOverAt: number | undefined;

  private keep(line: string): void {
    this.tail.push(line);
    if (this.tail.length > 30) this.tail.shift();
  }

  private onLine(line: string): void {
    if (line.startsWith('{"storageMetrics"')) {
      const parsed = JSON.parse(line) as { storageMetrics: { calls: HostMetrics['calls']; total: number }; rssBytes: number; groupCommit?: HostMetrics['groupCommit'] };
      const metrics = { ...parsed.storageMetrics, rssBytes: parsed.rssBytes, groupCommit: parsed.groupCommit ?? { transactions: 0, steps: 0 } };
      const waiters = this.metricsWaiters;
      this.metricsWaiters = [];
      for (const waiter of waiters) waiter(metrics);
      return;
    }
    this.keep(line);
    if (this.tookOverAt === undefined && line.includes('"msg":"durable: wake times loaded"')) this.tookOverAt = Date.now();
    // BENCH_HOST_LOG=<file> keeps every host's log lines there (to see what a host did during a figure).
    if (process.env.BENCH_HOST_LOG) appendFileSync(process.env.BENCH_HOST_LOG, `${line}\n`);
  }
}

/** Calls per kind made between two reports. */
export function callsBetween(before: HostMetrics, after: HostMetrics): { calls: Partial<Record<StorageCallKind, number>>; total: number } {
  const calls: Partial<Record<StorageCallKind, number>> = {};
  for (const [kind, count] of Object.entries(after.calls) as [StorageCallKind, number][]) {
    const delta = count - (before.calls[kind] ?? 0);
    if (delta > 0) calls[kind] = delta;
  }
  return { calls, total: after.total - before.total };
}
