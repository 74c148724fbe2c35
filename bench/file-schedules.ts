/**
 * Many schedules from one SCHEDULES_FILE (issue #9): the host is started with a YAML file of N schedules at one
 * interval, their phases (`offset`) spread evenly over it, as an operator would declare them; after they all ran once
 * and a warm-up, the sink measures lateness over a window, as a load level does.
 */
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { BenchHost } from './host-runner.js';
import { hubName, sleep, storageFor, type BenchEnv } from './bench-env.js';
import { cpuMeter } from './proc-stats.js';
import { round, type LatenessSummary } from './stats.js';

export interface FilePlan {
  schedules: number;
  everyMs: number;
  /** Until every schedule has delivered once. */
  settleBudgetMs: number;
  windowMs: number;
}

export interface FileResult {
  schedules: number;
  everyS: number;
  settledS: number | null;
  windowS: number;
  delivered: number;
  expected: number;
  lateness: LatenessSummary;
  hostCpu: number | null;
  onTime: boolean;
}

interface SinkWindow {
  received: number;
  distinct: number;
  lateness: LatenessSummary;
}

/** The file an operator would write: `n` schedules every `everyMs`, their offsets spread over the interval. */
export function schedulesFile(n: number, everyMs: number): string {
  const step = Math.max(1, Math.floor(everyMs / n));
  const schedules = Array.from({ length: n }, (_, i) => ({ name: `file-${i}`, every: `${everyMs}ms`, offset: `${(i * step) % everyMs}ms` }));
  return stringify({ schedules });
}

export async function runFileSchedules(env: BenchEnv, plan: FilePlan): Promise<FileResult> {
  const dir = mkdtempSync(path.join(tmpdir(), 'des-bench-file-'));
  const file = path.join(dir, 'schedules.yaml');
  writeFileSync(file, schedulesFile(plan.schedules, plan.everyMs));
  await env.sink.request('reset');
  const began = Date.now();
  const host = await BenchHost.start({ storage: storageFor(env, 'azurite'), sink: env.sinkUrl, taskHubName: hubName(env, `file${plan.schedules}`), env: { SCHEDULES_FILE: file } });
  try {
    let settledS: number | null = null;
    while (Date.now() - began < plan.settleBudgetMs) {
      const seen = await env.sink.request<number>('count');
      if (seen >= plan.schedules) {
        settledS = round((Date.now() - began) / 1000, 1);
        break;
      }
      await sleep(250);
    }
    await sleep(plan.everyMs); // one more round: every schedule past its first steps
    const hostCpu = cpuMeter(host.pid);
    const from = Date.now();
    await sleep(plan.windowMs);
    const to = Date.now();
    const window = await env.sink.request<SinkWindow>('window', { from, to });
    const seconds = (to - from) / 1000;
    const expected = Math.round((plan.schedules * (to - from)) / plan.everyMs);
    const share = hostCpu();
    return {
      schedules: plan.schedules,
      everyS: plan.everyMs / 1000,
      settledS,
      windowS: round(seconds),
      delivered: window.distinct,
      expected,
      lateness: window.lateness,
      hostCpu: share === undefined ? null : round(share),
      onTime: window.distinct >= 0.98 * expected && window.lateness.p99Ms <= 50 && window.lateness.p50Ms <= 10,
    };
  } finally {
    await host.kill9();
    rmSync(dir, { recursive: true, force: true });
  }
}
