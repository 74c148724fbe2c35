/** How much the bench does: the full run (about 25 minutes) or the smoke run (BENCH_QUICK=1, a minute or two). */
import type { FilePlan } from './file-schedules.js';
import type { ListingPlan } from './listing.js';
import type { ManyPlan } from './many-schedules.js';
import type { SinkOutagePlan } from './sink-outage.js';
import type { TickCostPlan } from './tick-cost.js';

export interface BenchPlan {
  quick: boolean;
  azuriteLevels: number[];
  proxyLevels: number[];
  /** The level whose lateness has a goal (1,000 schedules). */
  goalLevel: number;
  /** The level run again on the engine's memory store (`engine.memory`): the goal level. */
  memoryLevel: number;
  /** Extra levels tried between the largest on-time level and the first late one. */
  probes: number;
  warmupMs: number;
  windowMs: number;
  probeWindowMs: number;
  startDeadlineMs: number;
  ceilingMs: number;
  /** Instance commits per shape and round of the grouped-commits figure, and its rounds. */
  groupedCommits: { commits: number; rounds: number };
  tickCost: TickCostPlan;
  file: FilePlan;
  many: ManyPlan;
  /** Issue #19's 100,000 schedules at one minute (`many.100000`; a few hundred in the smoke run). */
  manyLarge: ManyPlan;
  npmStartTimeoutMs: number;
  sinkOutage: SinkOutagePlan;
  listing: ListingPlan;
}

/** `BENCH_LEVELS=azurite:100,1000;proxy10ms:100` replaces the level lists (for experiments; the rest still runs). */
function levelOverride(spec: string | undefined, mode: 'azurite' | 'proxy10ms'): number[] | undefined {
  const part = spec?.split(';').find((p) => p.startsWith(`${mode}:`));
  if (spec === undefined || spec === '') return undefined;
  return part ? part.slice(mode.length + 1).split(',').map(Number).filter((n) => Number.isInteger(n) && n > 0) : [];
}

export function benchPlan(quick: boolean, levels = process.env.BENCH_LEVELS): BenchPlan {
  const plan = basePlan(quick);
  const azurite = levelOverride(levels, 'azurite');
  const proxy = levelOverride(levels, 'proxy10ms');
  return azurite || proxy ? { ...plan, azuriteLevels: azurite ?? [], proxyLevels: proxy ?? [], probes: 0 } : plan;
}

function basePlan(quick: boolean): BenchPlan {
  if (quick) {
    return {
      quick,
      azuriteLevels: [1, 10],
      proxyLevels: [1],
      goalLevel: 1000,
      memoryLevel: 10,
      probes: 0,
      warmupMs: 1_000,
      windowMs: 2_000,
      probeWindowMs: 2_000,
      startDeadlineMs: 10_000,
      ceilingMs: 1_000,
      groupedCommits: { commits: 200, rounds: 1 },
      tickCost: { targetTick: 150, capMs: 4_000, span: 20 },
      file: { schedules: 20, everyMs: 2_000, settleBudgetMs: 20_000, windowMs: 2_000 },
      many: { schedules: 20, every: '2s', everyMs: 2_000, startBudgetMs: 2_000, settleBudgetMs: 4_000, idleMs: 1_500, onTimeMs: 1_000, watchMs: 4_000 },
      manyLarge: { schedules: 100, every: '2s', everyMs: 2_000, startBudgetMs: 6_000, settleBudgetMs: 4_000, idleMs: 1_500, onTimeMs: 1_000, watchMs: 4_000 },
      npmStartTimeoutMs: 30_000,
      sinkOutage: { schedules: 20, outageMs: 5_000, warmupBudgetMs: 10_000, drainBudgetMs: 20_000, startDeadlineMs: 10_000 },
      listing: { sizes: [10, 1_000], requests: 20, startBudgetMs: 30_000, settleBudgetMs: 20_000 },
    };
  }
  return {
    quick,
    azuriteLevels: [1, 100, 1000, 3000],
    proxyLevels: [1, 100, 1000],
    goalLevel: 1000,
    memoryLevel: 1000,
    probes: 2,
    warmupMs: 5_000,
    windowMs: 20_000,
    probeWindowMs: 10_000,
    startDeadlineMs: 60_000,
    ceilingMs: 3_000,
    groupedCommits: { commits: 2_000, rounds: 3 },
    // 10,000 ticks at 10 ms take 100 s at the very least.
    tickCost: { targetTick: 10_000, capMs: 150_000, span: 50 },
    // Issue #9: 1,000 schedules declared in one file, on one host (100 ticks/s).
    file: { schedules: 1_000, everyMs: 10_000, settleBudgetMs: 120_000, windowMs: 20_000 },
    many: { schedules: 10_000, every: '60s', everyMs: 60_000, startBudgetMs: 90_000, settleBudgetMs: 60_000, idleMs: 35_000, onTimeMs: 1_000, watchMs: 60_000 },
    // 10,000 started in about 20 s: 100,000 are given 360 s (the first ticks wait for the whole budget).
    manyLarge: { schedules: 100_000, every: '60s', everyMs: 60_000, startBudgetMs: 360_000, settleBudgetMs: 120_000, idleMs: 35_000, onTimeMs: 1_000, watchMs: 60_000 },
    npmStartTimeoutMs: 60_000,
    // Issue #16's probes: 200 schedules sharing a sink that answers 503 for 20 s; top=1 among 10, 1,000, 10,000.
    sinkOutage: { schedules: 200, outageMs: 20_000, warmupBudgetMs: 30_000, drainBudgetMs: 90_000, startDeadlineMs: 60_000 },
    listing: { sizes: [10, 1_000, 10_000], requests: 50, startBudgetMs: 120_000, settleBudgetMs: 60_000 },
  };
}
