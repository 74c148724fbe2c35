/**
 * One load level: N schedules at 1 s on a fresh task hub and a fresh host; after a warm-up, a steady-state window in
 * which the sink measures lateness (receive − scheduled time of every event received in the window) and the host
 * reports its storage calls. A level that cannot keep up shows it as delivered/expected below 1 and a large lateness.
 */
import { callsBetween, BenchHost, type HostMetrics } from './host-runner.js';
import { hubName, sleep, storageFor, type BenchEnv, type StorageMode } from './bench-env.js';
import { cpuMeter, mb, rssPeak } from './proc-stats.js';
import { startSchedules } from './start-schedules.js';
import { round, type LatenessSummary } from './stats.js';
import type { StorageCallKind } from '../src/durable/store/azure-tables/storage-metrics.js';

export interface LevelPlan {
  mode: StorageMode;
  schedules: number;
  warmupMs: number;
  windowMs: number;
  startDeadlineMs: number;
  /** EMBEDDED_HOST_ORCHESTRATOR_THREADS of the host; unset: the host's default (or the bench's environment). */
  orchestratorThreads?: number;
}

export interface LevelResult {
  mode: StorageMode;
  schedules: number;
  started: number;
  windowS: number;
  delivered: number;
  expected: number;
  deliveredRatio: number;
  lateness: LatenessSummary;
  ticksPerSecond: number;
  callsPerTick: number | null;
  callsPerTickByKind: Partial<Record<StorageCallKind, number>>;
  /** Steps per step transaction in the window (group commit; null: none committed, or the memory store). */
  stepsPerTransaction: number | null;
  /** CPU share (1.0 = one core) during the window. */
  hostCpu: number | null;
  azuriteCpu: number | null;
  /** CPU milliseconds per delivered tick. */
  hostCpuMsPerTick: number | null;
  azuriteCpuMsPerTick: number | null;
  /** Highest RSS from the host's start to the end of the window (MB), the host's and Azurite's. */
  hostPeakRssMb: number | null;
  azuritePeakRssMb: number | null;
  onTime: boolean;
  /** Set when the level could not be measured (the host died, say): reported, the run goes on. */
  error?: string;
}

/** A level that failed: nothing delivered, the reason kept. */
export function failedLevel(plan: LevelPlan, error: unknown): LevelResult {
  return {
    mode: plan.mode,
    schedules: plan.schedules,
    started: 0,
    windowS: 0,
    delivered: 0,
    expected: 0,
    deliveredRatio: 0,
    lateness: { count: 0, p50Ms: 0, p99Ms: 0, maxMs: 0 },
    ticksPerSecond: 0,
    callsPerTick: null,
    callsPerTickByKind: {},
    stepsPerTransaction: null,
    hostCpu: null,
    azuriteCpu: null,
    hostCpuMsPerTick: null,
    azuriteCpuMsPerTick: null,
    hostPeakRssMb: null,
    azuritePeakRssMb: null,
    onTime: false,
    error: error instanceof Error ? error.message.split('\n')[0] : String(error),
  };
}

/** The on-time bar of a level: everything delivered, and the lateness goals of the mode. */
export function onTimeGoal(mode: StorageMode): { p50Ms: number; p99Ms: number } {
  return mode !== 'proxy10ms' ? { p50Ms: 10, p99Ms: 50 } : { p50Ms: Number.POSITIVE_INFINITY, p99Ms: 100 };
}

interface SinkWindow {
  received: number;
  distinct: number;
  lateness: LatenessSummary;
}

export async function runLevel(env: BenchEnv, plan: LevelPlan): Promise<LevelResult> {
  await env.sink.request('reset');
  const host = await BenchHost.start({
    storage: storageFor(env, plan.mode),
    memoryStore: plan.mode === 'memory',
    sink: env.sinkUrl,
    // A hub of its own: a level of the same count with another setting ran before it in the same Azurite.
    taskHubName: hubName(env, `${plan.mode[0]}${plan.schedules}${plan.orchestratorThreads !== undefined ? `t${plan.orchestratorThreads}` : ''}`),
    ...(plan.orchestratorThreads !== undefined ? { env: { EMBEDDED_HOST_ORCHESTRATOR_THREADS: String(plan.orchestratorThreads) } } : {}),
  });
  const hostPeak = rssPeak(() => host.pid);
  // A memory-store host never calls Azurite: its figures there would be other scenarios' leftovers.
  const azuritePid = plan.mode === 'memory' ? undefined : env.azurite.process.pid;
  const azuritePeak = rssPeak(() => azuritePid);
  try {
    const started = await startSchedules(host.url, { prefix: `l${plan.schedules}`, count: plan.schedules, every: '1s' }, plan.startDeadlineMs);
    await sleep(plan.warmupMs);
    const hostCpu = cpuMeter(host.pid);
    const azuriteCpu = cpuMeter(azuritePid);
    const before = await host.metrics();
    const from = Date.now();
    await sleep(plan.windowMs);
    const after = await host.metrics();
    const to = Date.now();
    const window = await env.sink.request<SinkWindow>('window', { from, to });
    const seconds = (to - from) / 1000;
    const expected = started * seconds;
    const calls = callsBetween(before, after);
    const perTick = (n: number): number => (window.received > 0 ? n / window.received : 0);
    const byKind: Partial<Record<StorageCallKind, number>> = {};
    for (const [kind, count] of Object.entries(calls.calls) as [StorageCallKind, number][]) byKind[kind] = round(perTick(count));
    const deliveredRatio = expected > 0 ? Math.min(1, window.distinct / expected) : 0;
    const goal = onTimeGoal(plan.mode);
    const hostShare = hostCpu();
    const azuriteShare = azuriteCpu();
    const msPerTick = (share: number | undefined): number | null =>
      share === undefined || window.received === 0 ? null : round((share * seconds * 1000) / window.received);
    return {
      mode: plan.mode,
      schedules: plan.schedules,
      started,
      windowS: round(seconds),
      delivered: window.distinct,
      expected: Math.round(expected),
      deliveredRatio: round(deliveredRatio),
      lateness: window.lateness,
      ticksPerSecond: round(window.received / seconds),
      callsPerTick: window.received > 0 ? round(perTick(calls.total)) : null,
      callsPerTickByKind: byKind,
      stepsPerTransaction: stepsPerTransaction(before, after),
      hostCpu: roundOrNull(hostShare),
      azuriteCpu: roundOrNull(azuriteShare),
      hostCpuMsPerTick: msPerTick(hostShare),
      azuriteCpuMsPerTick: msPerTick(azuriteShare),
      hostPeakRssMb: mb(hostPeak.stop()),
      azuritePeakRssMb: mb(azuritePeak.stop()),
      onTime: started === plan.schedules && deliveredRatio >= 0.98 && window.lateness.p99Ms <= goal.p99Ms && window.lateness.p50Ms <= goal.p50Ms,
    };
  } finally {
    hostPeak.stop();
    azuritePeak.stop();
    await host.kill9();
  }
}

function roundOrNull(value: number | undefined): number | null {
  return value === undefined ? null : round(value);
}

/** Steps per step transaction between two reports (group commit). */
function stepsPerTransaction(before: HostMetrics, after: HostMetrics): number | null {
  const transactions = after.groupCommit.transactions - before.groupCommit.transactions;
  return transactions > 0 ? round((after.groupCommit.steps - before.groupCommit.steps) / transactions) : null;
}
