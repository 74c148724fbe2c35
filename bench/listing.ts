/**
 * What one page of the management API's list costs as the hub grows (#16: `GET /api/schedules?top=1` costs the same
 * at 10,000 schedules as at 10). One host and one task hub; schedules are added in steps (10, then up to 1,000, then
 * up to 10,000), all waiting for a first tick hours away so that nothing fires while it is measured; at each step,
 * once the host is idle again, the same request is timed many times in a row. The figure is the largest ratio of a
 * step's median to the smallest hub's, measured in the same run.
 */
import { BenchHost } from './host-runner.js';
import { hubName, storageFor, type BenchEnv } from './bench-env.js';
import { settled } from './many-schedules.js';
import { cpuSeconds } from './proc-stats.js';
import { startSchedules } from './start-schedules.js';
import { percentile, round } from './stats.js';

export interface ListingPlan {
  /** Schedules in the hub at each step, ascending. */
  sizes: number[];
  /** Timed requests per step (after a few untimed ones). */
  requests: number;
  /** Time allowed for starting each step's schedules. */
  startBudgetMs: number;
  /** Time allowed for the host to finish their first steps. */
  settleBudgetMs: number;
}

export interface ListingStep {
  schedules: number;
  p50Ms: number;
  p90Ms: number;
  /** Whether the page said there is more (a continuation token), as it must when the hub holds more than one. */
  continued: boolean;
  /**
   * CPU milliseconds per request of the host and of Azurite: where a cost that grows with the hub is spent (Azurite
   * answers a range query by scanning its in-memory table; the table service reads one page).
   */
  hostCpuMs: number | null;
  azuriteCpuMs: number | null;
}

export interface ListingResult {
  steps: ListingStep[];
  /** The largest median of a step ÷ the median at the smallest (null: fewer than two steps measured). */
  ratio: number | null;
  /** The same for the host's CPU per request. */
  hostCpuRatio: number | null;
}

/** The largest value of a later step ÷ the first step's (null: fewer than two steps, or a value missing). */
function growth(values: (number | null)[]): number | null {
  const [first, ...later] = values;
  if (first === null || first === undefined || first <= 0 || later.length === 0 || later.some((v) => v === null)) return null;
  return round(Math.max(...(later as number[])) / first);
}

const WARMUP_REQUESTS = 5;

async function timeTop1(host: BenchHost): Promise<{ ms: number; continued: boolean }> {
  const began = performance.now();
  const response = await fetch(`${host.url}/api/schedules?top=1`, { signal: AbortSignal.timeout(30_000) });
  const body = (await response.json()) as { schedules?: unknown[]; continuationToken?: string };
  const ms = performance.now() - began;
  if (response.status !== 200 || body.schedules?.length !== 1) throw new Error(`GET /api/schedules?top=1 answered ${response.status} with ${JSON.stringify(body).slice(0, 200)}`);
  return { ms, continued: body.continuationToken !== undefined };
}

async function measureStep(env: BenchEnv, host: BenchHost, schedules: number, requests: number): Promise<ListingStep> {
  for (let i = 0; i < WARMUP_REQUESTS; i++) await timeTop1(host);
  const cpuBefore = [cpuSeconds(host.pid), cpuSeconds(env.azurite.process.pid)];
  const times: number[] = [];
  let continued = true;
  for (let i = 0; i < requests; i++) {
    const timed = await timeTop1(host);
    times.push(timed.ms);
    continued &&= timed.continued;
  }
  const [hostCpuMs, azuriteCpuMs] = [cpuSeconds(host.pid), cpuSeconds(env.azurite.process.pid)].map((after, i) => {
    const before = cpuBefore[i];
    return after === undefined || before === undefined ? null : round(((after - before) * 1000) / requests);
  });
  const sorted = times.sort((a, b) => a - b);
  return { schedules, p50Ms: round(percentile(sorted, 50)), p90Ms: round(percentile(sorted, 90)), continued, hostCpuMs: hostCpuMs ?? null, azuriteCpuMs: azuriteCpuMs ?? null };
}

export async function runListing(env: BenchEnv, plan: ListingPlan): Promise<ListingResult> {
  const host = await BenchHost.start({ storage: storageFor(env, 'azurite'), sink: env.sinkUrl, taskHubName: hubName(env, 'listing') });
  try {
    // Every schedule's first tick is the same instant, hours away: the hub only grows while it is measured.
    const firstFire = Date.now() + 6 * 3_600_000;
    const steps: ListingStep[] = [];
    let held = 0;
    for (const size of plan.sizes) {
      // A step that could not start them all within its budget is measured with what it holds (and says so).
      held += await startSchedules(host.url, { prefix: `list${size}`, count: size - held, every: '24h', firstFireAt: () => firstFire }, plan.startBudgetMs);
      await settled(host, Date.now() + plan.settleBudgetMs);
      const step = await measureStep(env, host, held, plan.requests);
      env.say(`  ${held} schedules: top=1 p50 ${step.p50Ms} ms, p90 ${step.p90Ms} ms; CPU per request host ${step.hostCpuMs} ms, Azurite ${step.azuriteCpuMs} ms`);
      steps.push(step);
    }
    return { steps, ratio: growth(steps.map((s) => s.p50Ms)), hostCpuRatio: growth(steps.map((s) => s.hostCpuMs)) };
  } finally {
    await host.kill9();
  }
}
