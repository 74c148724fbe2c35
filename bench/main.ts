/**
 * `npm run bench`: measures the product end to end on this machine (Azurite, and Azurite behind a proxy that adds
 * 10 ms per storage call), prints one table and writes bench/results.json. BENCH_QUICK=1 (or `-- --quick`) is the
 * smoke run (small counts, short windows) that `npm test` runs; it writes to BENCH_OUT or a temporary file, never
 * results.json. BENCH_ONLY=a,b (or `-- --only a,b`) runs just those scenarios and prints them.
 */
import { cpus, loadavg, release, tmpdir, totalmem, type as osType } from 'node:os';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { startAzurite } from '../src/host/storage/azurite.js';
import type { BenchEnv, StorageMode } from './bench-env.js';
import { measureCeiling } from './ceiling.js';
import { fileFigure, fmt, largestOnTime, levelFigure, manyFigures, npmStartFigures, renderTable, throughputFigures, tickFigure, type Figure } from './figures.js';
import { REPO_ROOT } from './host-runner.js';
import { IpcChild } from './ipc-child.js';
import { failedLevel, runLevel, type LevelResult } from './level.js';
import { round } from './stats.js';
import { runManySchedules } from './many-schedules.js';
import { runFileSchedules } from './file-schedules.js';
import { measureNpmStart } from './npm-start-figure.js';
import { benchPlan, type BenchPlan } from './plan.js';
import { listingFigures, LISTING_EXPECTED, sinkOutageExpected, sinkOutageFigures } from './probe-figures.js';
import { runListing } from './listing.js';
import { runSinkOutage } from './sink-outage.js';
import { runTickCost } from './tick-cost.js';

function say(message: string): void {
  process.stdout.write(`${new Date().toISOString().slice(11, 19)} [bench] ${message}\n`);
}

async function levelsOf(env: BenchEnv, plan: BenchPlan, mode: StorageMode, counts: number[]): Promise<LevelResult[]> {
  const results: LevelResult[] = [];
  const run = async (schedules: number, windowMs: number): Promise<LevelResult> => {
    say(`${mode}: ${schedules} schedules at 1 s`);
    const levelPlan = { mode, schedules, warmupMs: plan.warmupMs, windowMs, startDeadlineMs: plan.startDeadlineMs };
    const level = await runLevel(env, levelPlan).catch((error: unknown) => failedLevel(levelPlan, error));
    if (level.error) say(`  failed: ${level.error}`);
    say(`  p50 ${level.lateness.p50Ms} / p99 ${level.lateness.p99Ms} / max ${level.lateness.maxMs} ms, delivered ${level.deliveredRatio}, ${level.ticksPerSecond} ticks/s, ${level.callsPerTick} calls/tick, CPU ms/tick host ${level.hostCpuMsPerTick} (${level.hostCpu}) Azurite ${level.azuriteCpuMsPerTick} (${level.azuriteCpu})`);
    results.push(level);
    return level;
  };
  for (const count of counts) await run(count, plan.windowMs);
  // Narrow down the largest count that stays on time between the last on-time level and the first late one.
  for (let probe = 0; probe < plan.probes; probe++) {
    const good = Math.max(0, ...results.filter((l) => l.onTime).map((l) => l.schedules));
    const bad = Math.min(...results.filter((l) => !l.onTime && l.schedules > good).map((l) => l.schedules));
    if (!Number.isFinite(bad) || good === 0 || bad / good < 1.5) break;
    await run(Math.round(Math.sqrt(good * bad)), plan.probeWindowMs);
  }
  return results.sort((a, b) => a.schedules - b.schedules);
}

/**
 * Runs one scenario; if it throws, its figures are reported as failed (value null, goal not met) and the run goes
 * on, so that one broken part never hides the others.
 */
async function scenario(name: string, expected: Pick<Figure, 'id' | 'label' | 'goal' | 'unit'>[], body: () => Promise<Figure[]>): Promise<Figure[]> {
  try {
    return await body();
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    say(`${name} failed: ${reason}`);
    return expected.map((f) => ({ ...f, value: null, display: `failed: ${reason}`, met: f.goal === null ? null : false }));
  }
}

/** The value of `--name value` on the command line (`npm run bench -- --only listing`), else the environment's. */
function option(name: string, envName: string): string | undefined {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1] : process.env[envName];
}

/** `BENCH_ONLY=many,tickCost` (or `--only many,tickCost`) runs just those scenarios (an experiment: printed, nothing written). */
const only = option('only', 'BENCH_ONLY')?.split(',').map((s) => s.trim()).filter((s) => s !== '');

/** #16: a sink that answers 503 for a while under many schedules, and how soon it is used again. */
function sinkOutageScenario(env: BenchEnv, plan: BenchPlan): Promise<Figure[]> {
  const p = plan.sinkOutage;
  return scenario('sink outage', sinkOutageExpected(p.schedules, p.outageMs / 1000), async () => {
    say(`${fmt(p.schedules)} schedules at 1 s, their sink answering 503 for ${p.outageMs / 1000} s`);
    return sinkOutageFigures(await runSinkOutage(env, p));
  });
}

/** #16: one page of the management list as the hub grows. */
function listingScenario(env: BenchEnv, plan: BenchPlan): Promise<Figure[]> {
  return scenario('listing', LISTING_EXPECTED, async () => {
    say(`GET /api/schedules?top=1 among ${plan.listing.sizes.map((n) => fmt(n)).join(', ')} schedules`);
    return listingFigures(await runListing(env, plan.listing));
  });
}

async function experiment(env: BenchEnv, plan: BenchPlan, scenarios: string[]): Promise<void> {
  for (const name of scenarios) {
    if (name === 'tickCost') say(JSON.stringify(tickFigure(await runTickCost(env, plan.tickCost))));
    else if (name === 'many') say(JSON.stringify(manyFigures(await runManySchedules(env, plan.many))));
    else if (name === 'file') say(JSON.stringify(fileFigure(await runFileSchedules(env, plan.file))));
    else if (name === 'npmStart') say(JSON.stringify(npmStartFigures(await measureNpmStart(plan.npmStartTimeoutMs))));
    else if (name === 'sinkOutage') process.stdout.write(`${renderTable(await sinkOutageScenario(env, plan))}\n`);
    else if (name === 'listing') process.stdout.write(`${renderTable(await listingScenario(env, plan))}\n`);
    else throw new Error(`BENCH_ONLY: unknown scenario ${name} (tickCost, many, file, npmStart, sinkOutage, listing; levels: BENCH_LEVELS)`);
  }
}

async function run(plan: BenchPlan, out: string): Promise<void> {
  const began = Date.now();
  const runId = began.toString(36).slice(-5);
  // Other work on the machine skews every figure: the load average is kept with the results.
  const loadAtStart = loadavg().map((l) => round(l, 1));
  say(`${plan.quick ? 'smoke run (BENCH_QUICK=1)' : 'full run (about 10 minutes)'}; load average ${loadAtStart.join(' ')}`);
  const azurite = await startAzurite({});
  const sinkChild = await IpcChild.start<{ port: number }>(path.join(__dirname, 'sink-process.js'));
  const proxyChild = await IpcChild.start<{ port: number }>(path.join(__dirname, 'delay-proxy-process.js'), {
    BENCH_TARGET_PORT: String(azurite.tablePort),
    BENCH_DELAY_MS: '10',
  });
  const env: BenchEnv = {
    quick: plan.quick,
    azurite,
    proxyPort: proxyChild.ready.port,
    sink: sinkChild.ipc,
    sinkUrl: `http://127.0.0.1:${sinkChild.ready.port}/`,
    runId,
    say,
  };
  const figures: Figure[] = [];
  try {
    if (only) {
      await experiment(env, plan, only);
      return;
    }
    say('raw undici POST ceiling');
    const ceiling = await measureCeiling(env.sinkUrl, plan.ceilingMs);
    const azuriteLevels = await levelsOf(env, plan, 'azurite', plan.azuriteLevels);
    const proxyLevels = await levelsOf(env, plan, 'proxy10ms', plan.proxyLevels);
    if (process.env.BENCH_LEVELS) return; // an experiment on some levels: nothing written
    for (const level of azuriteLevels) figures.push(levelFigure(level, plan.goalLevel));
    figures.push(largestOnTime('azurite', azuriteLevels, plan.goalLevel));
    for (const level of proxyLevels) figures.push(levelFigure(level, plan.goalLevel));
    figures.push(largestOnTime('proxy10ms', proxyLevels, plan.goalLevel));
    figures.push(...throughputFigures(azuriteLevels, ceiling));

    figures.push(
      ...(await scenario('tick cost', [{ id: 'tickCost', label: 'cost of tick 10,000 / tick 10', goal: '≤ 1.2', unit: 'ratio' }], async () => {
        say(`tick ${fmt(plan.tickCost.targetTick)} of one schedule (10 ms interval, at most ${plan.tickCost.capMs / 1000} s)`);
        return [tickFigure(await runTickCost(env, plan.tickCost))];
      })),
    );
    figures.push(
      ...(await scenario('schedules file', [{ id: 'file.lateness', label: 'schedules from one SCHEDULES_FILE', goal: 'p99 ≤ 50 ms, p50 ≤ 10 ms, all delivered', unit: 'ms (p99)' }], async () => {
        say(`${fmt(plan.file.schedules)} schedules from one SCHEDULES_FILE, every ${plan.file.everyMs / 1000} s`);
        return [fileFigure(await runFileSchedules(env, plan.file))];
      })),
    );
    const n = fmt(plan.many.schedules);
    figures.push(
      ...(await scenario(
        'many schedules',
        [
          { id: 'many.rss', label: `host RSS, ${n} schedules`, goal: '≤ 300 MB', unit: 'MB' },
          { id: 'many.recovery', label: `kill -9 → all on time again, ${n} schedules`, goal: '≤ 10 s', unit: 's' },
          { id: 'many.idleCalls', label: `idle storage calls/s, ${n} waiting`, goal: '≈ 0 (≤ 1/s)', unit: 'calls/s' },
        ],
        async () => {
          say(`${n} schedules at ${plan.many.every}`);
          return manyFigures(await runManySchedules(env, plan.many));
        },
      )),
    );
    figures.push(
      ...(await scenario(
        'npm start',
        [
          { id: 'npmStart.ready', label: '`npm start` to ready (built tree)', goal: '≤ 3 s', unit: 's' },
          { id: 'npmStart.firstEvent', label: '`npm start` to the first event', goal: null, unit: 's' },
        ],
        async () => {
          say('npm start on the built tree');
          return npmStartFigures(await measureNpmStart(plan.npmStartTimeoutMs));
        },
      )),
    );
    figures.push(...(await sinkOutageScenario(env, plan)));
    figures.push(...(await listingScenario(env, plan)));
  } finally {
    await Promise.allSettled([sinkChild.ipc.stop(), proxyChild.ipc.stop(), azurite.stop()]);
  }
  const results = {
    date: new Date(began).toISOString(),
    quick: plan.quick,
    durationS: round((Date.now() - began) / 1000, 1),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryBytes: totalmem(), os: `${osType()} ${release()}`, loadAverageAtStart: loadAtStart, loadAverageAtEnd: loadavg().map((l) => round(l, 1)) },
    node: process.version,
    plan,
    figures,
  };
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`\n${renderTable(figures)}\n\n`);
  say(`${figures.filter((f) => f.met === true).length} of ${figures.filter((f) => f.met !== null).length} goals met; ${results.durationS} s; written to ${path.relative(process.cwd(), out) || out}`);
}

if (require.main === module) {
  const quick = process.env.BENCH_QUICK === '1' || process.argv.includes('--quick');
  const out = process.env.BENCH_OUT ?? (quick ? path.join(tmpdir(), 'durable-event-source-bench-quick.json') : path.join(REPO_ROOT, 'bench', 'results.json'));
  run(benchPlan(quick), out).then(
    () => process.exit(0),
    (error: unknown) => {
      say(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      process.exit(1);
    },
  );
}
