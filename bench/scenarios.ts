/**
 * The bench's scenarios in the order they run, each with the ids of the figures it produces (for `--only`, and for
 * the failed figures reported when it throws).
 */
import type { BenchEnv, StorageMode } from './bench-env.js';
import { measureCeiling } from './ceiling.js';
import { engineMemoryFigure, fileFigure, groupedCommitsFigure, fmt, largestOnTime, levelFigure, manyFigures, mbGoal, npmStartFigures, threadsFigure, throughputFigures, tickFigure, type Figure, type ManyGoals } from './figures.js';
import { failedLevel, runLevel, type LevelResult } from './level.js';
import { runManySchedules, type ManyPlan } from './many-schedules.js';
import { runFileSchedules } from './file-schedules.js';
import { COMMIT_GROUP, measureGroupedCommits } from './grouped-commits.js';
import { measureNpmStart } from './npm-start-figure.js';
import { levelCounts, selects, type Selection } from './only.js';
import type { BenchPlan } from './plan.js';
import { runTickCost } from './tick-cost.js';
import { listingFigures, LISTING_EXPECTED, sinkOutageExpected, sinkOutageFigures } from './probe-figures.js';
import { runListing } from './listing.js';
import { runSinkOutage } from './sink-outage.js';

/** What a figure is before it is measured: reported as failed (value null, goal not met) if its scenario throws. */
export type FigureStub = Pick<Figure, 'id' | 'label' | 'goal' | 'unit'>;

export interface Scenario {
  name: string;
  /** The ids of its figures; one ending in '.' stands for every id under it (levels). */
  ids: string[];
  /** Reported in its place if it throws. */
  expected: FigureStub[];
  run(env: BenchEnv): Promise<Figure[]>;
}

async function levelsOf(env: BenchEnv, plan: BenchPlan, mode: StorageMode, counts: number[], probes: number, orchestratorThreads?: number): Promise<LevelResult[]> {
  const results: LevelResult[] = [];
  const run = async (schedules: number, windowMs: number): Promise<LevelResult> => {
    env.say(`${mode}: ${schedules} schedules at 1 s${orchestratorThreads ? `, ${orchestratorThreads} orchestrator thread(s)` : ''}`);
    const levelPlan = { mode, schedules, warmupMs: plan.warmupMs, windowMs, startDeadlineMs: plan.startDeadlineMs, ...(orchestratorThreads !== undefined ? { orchestratorThreads } : {}) };
    const level = await runLevel(env, levelPlan).catch((error: unknown) => failedLevel(levelPlan, error));
    if (level.error) env.say(`  failed: ${level.error}`);
    env.say(`  p50 ${level.lateness.p50Ms} / p99 ${level.lateness.p99Ms} / max ${level.lateness.maxMs} ms, delivered ${level.deliveredRatio}, ${level.ticksPerSecond} ticks/s, ${level.callsPerTick} calls/tick, ${level.stepsPerTransaction ?? 'n/a'} steps/transaction, CPU ms/tick host ${level.hostCpuMsPerTick} (${level.hostCpu}) Azurite ${level.azuriteCpuMsPerTick} (${level.azuriteCpu}), peak RSS host ${level.hostPeakRssMb} MB Azurite ${level.azuritePeakRssMb} MB`);
    results.push(level);
    return level;
  };
  for (const count of counts) await run(count, plan.windowMs);
  // Narrow down the largest count that stays on time between the last on-time level and the first late one.
  for (let probe = 0; probe < probes; probe++) {
    const good = Math.max(0, ...results.filter((l) => l.onTime).map((l) => l.schedules));
    const bad = Math.min(...results.filter((l) => !l.onTime && l.schedules > good).map((l) => l.schedules));
    if (!Number.isFinite(bad) || good === 0 || bad / good < 1.5) break;
    await run(Math.round(Math.sqrt(good * bad)), plan.probeWindowMs);
  }
  return results.sort((a, b) => a.schedules - b.schedules);
}

const THROUGHPUT_IDS = ['ticksPerSecond', 'rawPostCeiling', 'ticksToCeiling', 'callsPerTick'];

/** The lateness levels of one mode, the largest count on time, and (on Azurite) the throughput figures. */
function levelScenario(plan: BenchPlan, selection: Selection, mode: 'azurite' | 'proxy10ms', shared: SharedResults): Scenario {
  const ids = [`lateness.${mode}.`, `largestOnTime.${mode}`, ...(mode === 'azurite' ? THROUGHPUT_IDS : [])];
  return {
    name: `${mode} levels`,
    ids,
    expected: [],
    async run(env) {
      const wantsCeiling = mode === 'azurite' && selects(selection, ['rawPostCeiling', 'ticksToCeiling']);
      if (wantsCeiling) env.say('raw undici POST ceiling');
      const ceiling = wantsCeiling ? await measureCeiling(env.sinkUrl, plan.ceilingMs) : 0;
      const { counts, probe } = levelCounts(selection, mode, mode === 'azurite' ? plan.azuriteLevels : plan.proxyLevels, ids);
      const levels = await levelsOf(env, plan, mode, counts, probe ? plan.probes : 0);
      if (mode === 'azurite') shared.azuriteLevels = levels;
      const figures = [...levels.map((level) => levelFigure(level, plan.goalLevel)), largestOnTime(mode, levels, plan.goalLevel)];
      return mode === 'azurite' ? [...figures, ...throughputFigures(levels, ceiling)] : figures;
    },
  };
}

/** What a later scenario reads of an earlier one's results. */
interface SharedResults {
  azuriteLevels?: LevelResult[];
}

const MANY_GOALS: Record<'many' | 'many.100000', ManyGoals> = {
  many: { rssMb: 300, peakRssMb: 400, recoveredS: 10 },
  // Issue #19: 100,000 schedules at one minute wait in at most 1 GB and are on time again within 30 s of a kill -9.
  'many.100000': { rssMb: 1024, peakRssMb: null, recoveredS: 30 },
};

function manyScenario(prefix: 'many' | 'many.100000', plan: ManyPlan): Scenario {
  const n = fmt(plan.schedules);
  const stub = (suffix: string, label: string, goal: string | null, unit: string): FigureStub => ({ id: `${prefix}.${suffix}`, label, goal, unit });
  const goals = MANY_GOALS[prefix];
  const expected = [
    stub('start', `start ${n} schedules`, null, 's'),
    stub('rss', `host RSS, ${n} schedules waiting`, mbGoal(goals.rssMb), 'MB'),
    stub('peakRss', `host peak RSS, ${n} schedules`, goals.peakRssMb === null ? null : mbGoal(goals.peakRssMb), 'MB'),
    stub('recovery', `kill -9 → all on time again, ${n} schedules`, `≤ ${goals.recoveredS} s`, 's'),
    stub('idleCalls', `idle storage calls/s, ${n} waiting`, '≈ 0 (≤ 1/s)', 'calls/s'),
  ];
  return {
    name: `${n} schedules`,
    ids: expected.map((f) => f.id),
    expected,
    async run(env) {
      env.say(`${n} schedules at ${plan.every}`);
      return manyFigures(await runManySchedules(env, plan), prefix, goals);
    },
  };
}

/** The engine alone, as the host runs by default (episodes in its thread) and with one orchestrator thread. */
function engineMemoryScenario(plan: BenchPlan, shared: SharedResults): Scenario {
  const n = plan.memoryLevel;
  return {
    name: 'engine alone (memory store)',
    ids: ['engine.memory', 'engine.memory.threads'],
    expected: [
      { id: 'engine.memory', label: `engine alone (memory store), ${fmt(n)} schedules at 1 s`, goal: null, unit: 'ticks/s' },
      { id: 'engine.memory.threads', label: `engine alone (memory store), ${fmt(n)} schedules at 1 s, one orchestrator thread`, goal: null, unit: 'ticks/s' },
    ],
    async run(env) {
      const [inHostThread] = await levelsOf(env, plan, 'memory', [n], 0, 0);
      const [inWorkerThread] = await levelsOf(env, plan, 'memory', [n], 0, 1);
      return [
        engineMemoryFigure(inHostThread!, shared.azuriteLevels?.find((l) => l.schedules === n)),
        engineMemoryFigure(inWorkerThread!, inHostThread, 'engine.memory.threads'),
      ];
    },
  };
}

/** The goal level on Azurite with one orchestrator thread (and so 32 steps at once), next to the default host's. */
function threadsScenario(plan: BenchPlan, shared: SharedResults): Scenario {
  const n = plan.memoryLevel;
  const label = `${fmt(n)} schedules at 1 s, one orchestrator thread`;
  return {
    name: 'one orchestrator thread',
    ids: ['threads.azurite'],
    expected: [{ id: 'threads.azurite', label, goal: null, unit: 'ticks/s' }],
    async run(env) {
      const [level] = await levelsOf(env, plan, 'azurite', [n], 0, 1);
      return [threadsFigure(level!, label, shared.azuriteLevels?.find((l) => l.schedules === n))];
    },
  };
}

/** #16: a sink that answers 503 for a while under many schedules, and how soon it is used again. */
function sinkOutageScenario(plan: BenchPlan): Scenario {
  const p = plan.sinkOutage;
  const expected = sinkOutageExpected(p.schedules, p.outageMs / 1000);
  return {
    name: 'sink outage',
    ids: expected.map((f) => f.id),
    expected,
    async run(env) {
      env.say(`${fmt(p.schedules)} schedules at 1 s, their sink answering 503 for ${p.outageMs / 1000} s`);
      return sinkOutageFigures(await runSinkOutage(env, p));
    },
  };
}

/** #16: one page of the management list as the hub grows. */
function listingScenario(plan: BenchPlan): Scenario {
  return {
    name: 'listing',
    ids: LISTING_EXPECTED.map((f) => f.id),
    expected: LISTING_EXPECTED,
    async run(env) {
      env.say(`GET /api/schedules?top=1 among ${plan.listing.sizes.map((n) => fmt(n)).join(', ')} schedules`);
      return listingFigures(await runListing(env, plan.listing));
    },
  };
}

export function scenarios(plan: BenchPlan, selection: Selection): Scenario[] {
  const shared: SharedResults = {};
  return [
    levelScenario(plan, selection, 'azurite', shared),
    levelScenario(plan, selection, 'proxy10ms', shared),
    engineMemoryScenario(plan, shared),
    threadsScenario(plan, shared),
    {
      name: 'tick cost',
      ids: ['tickCost'],
      expected: [{ id: 'tickCost', label: 'cost of tick 10,000 / tick 10', goal: '≤ 1.2', unit: 'ratio' }],
      async run(env) {
        env.say(`tick ${fmt(plan.tickCost.targetTick)} of one schedule (10 ms interval, at most ${plan.tickCost.capMs / 1000} s)`);
        return [tickFigure(await runTickCost(env, plan.tickCost))];
      },
    },
    {
      name: 'schedules file',
      ids: ['file.lateness'],
      expected: [{ id: 'file.lateness', label: 'schedules from one SCHEDULES_FILE', goal: 'p99 ≤ 50 ms, p50 ≤ 10 ms, all delivered', unit: 'ms (p99)' }],
      async run(env) {
        env.say(`${fmt(plan.file.schedules)} schedules from one SCHEDULES_FILE, every ${plan.file.everyMs / 1000} s`);
        return [fileFigure(await runFileSchedules(env, plan.file))];
      },
    },
    sinkOutageScenario(plan),
    listingScenario(plan),
    {
      name: 'grouped commits',
      ids: ['groupedCommits'],
      expected: [{ id: 'groupedCommits', label: `storage CPU per instance commit: alone ÷ ${COMMIT_GROUP} to a transaction`, goal: null, unit: 'ratio (Azurite CPU)' }],
      async run(env) {
        env.say('instance commits on Azurite: one a transaction, and ten to a transaction');
        return [groupedCommitsFigure(await measureGroupedCommits(env, plan.groupedCommits.commits, plan.groupedCommits.rounds))];
      },
    },
    manyScenario('many', plan.many),
    manyScenario('many.100000', plan.manyLarge),
    {
      name: 'npm start',
      ids: ['npmStart.ready', 'npmStart.firstEvent'],
      expected: [
        { id: 'npmStart.ready', label: '`npm start` to ready (built tree)', goal: '≤ 3 s', unit: 's' },
        { id: 'npmStart.firstEvent', label: '`npm start` to the first event', goal: null, unit: 's' },
      ],
      async run(env) {
        env.say('npm start on the built tree');
        return npmStartFigures(await measureNpmStart(plan.npmStartTimeoutMs));
      },
    },
  ];
}
