/**
 * Does a tick get dearer as a schedule ages? One schedule at a 10 ms interval (so it runs tick after tick) with a
 * one-hour catch-up window (so no tick is skipped while it runs behind); the host's CPU time per tick and the wall
 * time between deliveries are measured around tick 10 and around the last tick (10,000, or as far as the cap allowed).
 */
import { BenchHost } from './host-runner.js';
import { hubName, sleep, storageFor, type BenchEnv } from './bench-env.js';
import { cpuSeconds } from './proc-stats.js';
import { startSchedules } from './start-schedules.js';
import { round } from './stats.js';

export interface TickCostPlan {
  targetTick: number;
  capMs: number;
  /** Ticks measured on each side (around tick 10, and before the last). */
  span: number;
}

export interface TickCostResult {
  targetTick: number;
  reachedTick: number;
  seconds: number;
  earlyWallMsPerTick: number | null;
  lateWallMsPerTick: number | null;
  wallRatio: number | null;
  earlyCpuMsPerTick: number | null;
  lateCpuMsPerTick: number | null;
  cpuRatio: number | null;
}

interface Sample {
  sequence: number;
  cpu: number;
}

/** CPU ms per tick between the first sample at or past `fromSeq` and the first at or past `toSeq`. */
function cpuPerTick(samples: Sample[], fromSeq: number, toSeq: number): number | null {
  const a = samples.find((s) => s.sequence >= fromSeq);
  const b = samples.find((s) => s.sequence >= toSeq);
  if (!a || !b || b.sequence <= a.sequence) return null;
  return ((b.cpu - a.cpu) * 1000) / (b.sequence - a.sequence);
}

function wallPerTick(arrivals: [number, number][]): number | null {
  if (arrivals.length < 2) return null;
  const [firstSeq, firstAt] = arrivals[0]!;
  const [lastSeq, lastAt] = arrivals[arrivals.length - 1]!;
  return (lastAt - firstAt) / (lastSeq - firstSeq);
}

export async function runTickCost(env: BenchEnv, plan: TickCostPlan): Promise<TickCostResult> {
  await env.sink.request('reset');
  const host = await BenchHost.start({ storage: storageFor(env, 'azurite'), sink: env.sinkUrl, taskHubName: hubName(env, 'tickcost') });
  try {
    const began = Date.now();
    await startSchedules(host.url, { prefix: 'tick', count: 1, every: '10ms', catchUpWindow: '1h' }, 30_000);
    const samples: Sample[] = [];
    let reached = 0;
    while (Date.now() - began < plan.capMs) {
      const latest = await env.sink.request<{ sequence: number }>('latest');
      const cpu = cpuSeconds(host.pid);
      reached = latest.sequence;
      if (cpu !== undefined) samples.push({ sequence: reached, cpu });
      if (reached >= plan.targetTick) break;
      await sleep(100);
    }
    const seconds = (Date.now() - began) / 1000;
    const early = await env.sink.request<[number, number][]>('arrivals', { fromSeq: 10, toSeq: 10 + plan.span });
    const lateFrom = Math.max(10 + plan.span, reached - plan.span);
    const late = await env.sink.request<[number, number][]>('arrivals', { fromSeq: lateFrom, toSeq: reached });
    const earlyWall = wallPerTick(early);
    const lateWall = reached > 10 + 2 * plan.span ? wallPerTick(late) : null;
    // CPU is read every 100 ms with 10 ms resolution: measure over a wider stretch on each side.
    const cpuSpan = Math.max(plan.span, Math.floor(reached / 10));
    const earlyCpu = cpuPerTick(samples, 10, 10 + cpuSpan);
    const lateCpu = reached > 10 + 2 * cpuSpan ? cpuPerTick(samples, reached - cpuSpan, reached) : null;
    return {
      targetTick: plan.targetTick,
      reachedTick: reached,
      seconds: round(seconds, 1),
      earlyWallMsPerTick: earlyWall === null ? null : round(earlyWall),
      lateWallMsPerTick: lateWall === null ? null : round(lateWall),
      wallRatio: earlyWall && lateWall ? round(lateWall / earlyWall) : null,
      earlyCpuMsPerTick: earlyCpu === null ? null : round(earlyCpu),
      lateCpuMsPerTick: lateCpu === null ? null : round(lateCpu),
      cpuRatio: earlyCpu && lateCpu ? round(lateCpu / earlyCpu) : null,
    };
  } finally {
    await host.kill9();
  }
}
