/**
 * `npm run sim -- --seeds N [--seed S] [--steps K] [--jobs J] [--keep-going] [--verbose]`: runs N histories from seed
 * S on (default: a random S) in J worker processes (default: two per core, see DEFAULT_JOBS; pool.ts), printing progress (seeds done,
 * failures, seeds/s) as it goes. It stops at the first history that breaks an invariant (unless --keep-going) and
 * prints its seed, the invariant, a history excerpt and the command that replays exactly it; at the end, the total
 * time and the replay command of every failing seed. The exit code is 0 only when every seed passed.
 * `--verbose` runs in this process, one seed after another, and prints each history's whole log.
 */
import { availableParallelism } from 'node:os';
import { runPool, type PoolTotals } from './pool.js';
import { runSeed, type SeedResult } from './run-seed.js';

interface Args {
  seeds: number;
  seed: number;
  steps: number;
  verbose: boolean;
  keepGoing: boolean;
  jobs: number;
}

function parseArgs(argv: string[]): Args {
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const int = (flag: string, fallback: number): number => {
    const raw = value(flag);
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${flag}: "${raw}" is not a whole number`);
    return n;
  };
  return {
    seeds: int('--seeds', 1),
    seed: int('--seed', Math.floor(Math.random() * 2 ** 31)),
    steps: int('--steps', DEFAULT_STEPS),
    verbose: argv.includes('--verbose'),
    keepGoing: argv.includes('--keep-going'),
    jobs: int('--jobs', DEFAULT_JOBS),
  };
}

export const DEFAULT_STEPS = 8;
/**
 * Two workers a core: a history waits about half its real time (a host's lease, the owner taking a standby's write, a
 * stopping host, the app's real-time polls), so one worker a core left the cores half idle (one seed: 0.5 s of CPU in
 * 1.0 s real).
 */
export const DEFAULT_JOBS = 2 * availableParallelism();

/** The one-line command that replays exactly this seed, with its whole history log. */
const replayCommand = (seed: number, steps: number): string =>
  `npm run sim -- --seeds 1 --seed ${seed}${steps !== DEFAULT_STEPS ? ` --steps ${steps}` : ''} --verbose`;

/** The failure report: seed, invariants broken, an excerpt of the history, the replay command. */
export function report(result: SeedResult, steps: number): string {
  const first = result.violations[0];
  const distinct = [...new Map(result.violations.map((v) => [`${v.invariant} ${v.detail}`, v])).values()];
  const lines = [
    `seed ${result.seed} FAILED: ${distinct.length} violation(s) of ${new Set(distinct.map((v) => v.invariant)).size} invariant(s)`,
    ...distinct.slice(0, 5).map((v) => `  [${v.invariant}] ${v.detail.split('\n').slice(0, 6).join('\n    ')}`),
    '  history (virtual time):',
    ...result.history.excerpt(first?.needle).map((l) => `    ${l}`),
    `  replay: ${replayCommand(result.seed, steps)}`,
  ];
  return lines.join('\n');
}

/** `--verbose`: in this process, each history's whole log; false when one failed. */
async function runHere(args: Args): Promise<boolean> {
  let failed = 0;
  for (let i = 0; i < args.seeds && (failed === 0 || args.keepGoing); i++) {
    const result = await runSeed(args.seed + i, { steps: args.steps });
    console.log(result.history.lines.join('\n'));
    console.log(`seed ${result.seed}: ${result.attempts} sink attempts, ${result.virtualMs / 1000} s virtual in ${result.realMs} ms`);
    if (result.violations.length > 0) {
      failed++;
      console.log(report(result, args.steps));
    }
  }
  return failed === 0;
}

/** In worker processes, with a progress line every few seconds and each failure's report as it comes. */
async function runInPool(args: Args, started: number): Promise<PoolTotals> {
  let lastProgress = Date.now();
  const rate = (done: number): string => (done / ((Date.now() - started) / 1000)).toFixed(2);
  return runPool({
    from: args.seed,
    count: args.seeds,
    steps: args.steps,
    jobs: args.jobs,
    keepGoing: args.keepGoing,
    onSeed: (outcome, totals) => {
      if (outcome.failure !== undefined) console.log(outcome.failure);
      if (Date.now() - lastProgress < 5_000 && totals.done < args.seeds) return;
      lastProgress = Date.now();
      console.log(`${totals.done}/${args.seeds} seeds, ${totals.failures.length} failed, ${rate(totals.done)} seeds/s`);
    },
  });
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  // The app's and the host's own log lines only with --verbose (world.ts reads it as each host starts).
  if (args.verbose) process.env.SIM_LOG_LEVEL ??= 'warn';
  const started = Date.now();
  if (args.verbose) {
    process.exitCode = (await runHere(args)) ? 0 : 1;
    return;
  }
  console.log(`${args.seeds} seed(s) from ${args.seed}, ${args.steps} steps each, in ${args.jobs} worker process(es)${args.keepGoing ? ', going on after failures' : ''}`);
  const totals = await runInPool(args, started);
  const seconds = (Date.now() - started) / 1000;
  const failedSeeds = totals.failures.map((f) => f.seed).sort((a, b) => a - b);
  console.log(
    `${totals.done} seed(s) from ${args.seed} in ${seconds.toFixed(1)} s (${(totals.done / seconds).toFixed(2)} seeds/s, ` +
      `${(totals.cpuMs / Math.max(1, totals.done) / 1000).toFixed(2)} s CPU and ${(totals.realMs / Math.max(1, totals.done) / 1000).toFixed(1)} s real per seed): ` +
      `${failedSeeds.length === 0 ? 'all passed' : `${failedSeeds.length} FAILED${totals.done < args.seeds ? ' (stopped at the first failure)' : ''}`}`,
  );
  for (const seed of failedSeeds) console.log(`  replay: ${replayCommand(seed, args.steps)}`);
  process.exitCode = failedSeeds.length === 0 && totals.done === args.seeds ? 0 : 1;
}

if (require.main === module) void main();
