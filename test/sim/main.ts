/**
 * `npm run sim -- --seeds N [--seed S] [--steps K]`: runs N histories from seed S on (default: a random S), stops at
 * the first that breaks an invariant and prints its seed, the invariant, a history excerpt and the command that
 * replays exactly it. `--verbose` prints each history's whole log.
 */
import { spawnSync } from 'node:child_process';
import { runSeed, type SeedResult } from './run-seed.js';

/** Seeds per process: each history loads the app afresh, and a long run in one process grows (about 15 MB a seed). */
const SEEDS_PER_PROCESS = 50;

interface Args {
  seeds: number;
  seed: number;
  steps: number;
  verbose: boolean;
  keepGoing: boolean;
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
  };
}

export const DEFAULT_STEPS = 8;

/** The failure report: seed, invariants broken, an excerpt of the history, the replay command. */
export function report(result: SeedResult, steps: number): string {
  const first = result.violations[0];
  const distinct = [...new Map(result.violations.map((v) => [`${v.invariant} ${v.detail}`, v])).values()];
  const lines = [
    `seed ${result.seed} FAILED: ${distinct.length} violation(s) of ${new Set(distinct.map((v) => v.invariant)).size} invariant(s)`,
    ...distinct.slice(0, 5).map((v) => `  [${v.invariant}] ${v.detail.split('\n').slice(0, 6).join('\n    ')}`),
    '  history (virtual time):',
    ...result.history.excerpt(first?.needle).map((l) => `    ${l}`),
    `  replay: npm run sim -- --seeds 1 --seed ${result.seed}${steps !== DEFAULT_STEPS ? ` --steps ${steps}` : ''} --verbose`,
  ];
  return lines.join('\n');
}

/** A long run as child processes of SEEDS_PER_PROCESS seeds each, one after another; true when all passed. */
function runInChildren(args: Args): boolean {
  let ok = true;
  for (let from = args.seed; from < args.seed + args.seeds && (ok || args.keepGoing); from += SEEDS_PER_PROCESS) {
    const count = Math.min(SEEDS_PER_PROCESS, args.seed + args.seeds - from);
    const flags = ['--seeds', String(count), '--seed', String(from), '--steps', String(args.steps)];
    if (args.verbose) flags.push('--verbose');
    if (args.keepGoing) flags.push('--keep-going');
    const child = spawnSync(process.execPath, [__filename, ...flags], { stdio: 'inherit' });
    ok &&= child.status === 0;
  }
  return ok;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  // The app's and the host's own log lines only with --verbose (world.ts reads it as each host starts).
  if (args.verbose) process.env.SIM_LOG_LEVEL ??= 'warn';
  const started = Date.now();
  if (args.seeds > SEEDS_PER_PROCESS) {
    const ok = runInChildren(args);
    console.log(`${args.seeds} seed(s) from ${args.seed} in ${((Date.now() - started) / 1000).toFixed(1)} s: ${ok ? 'all passed' : 'FAILED (see above)'}`);
    process.exitCode = ok ? 0 : 1;
    return;
  }
  let failed = 0;
  for (let i = 0; i < args.seeds; i++) {
    const seed = args.seed + i;
    const result = await runSeed(seed, { steps: args.steps });
    if (args.verbose) {
      console.log(result.history.lines.join('\n'));
      console.log(`seed ${seed}: ${result.attempts} sink attempts, ${result.virtualMs / 1000} s virtual in ${result.realMs} ms`);
    }
    if (result.violations.length > 0) {
      failed++;
      console.log(report(result, args.steps));
      if (!args.keepGoing) break;
    }
  }
  const ran = failed > 0 && !args.keepGoing ? '' : `${args.seeds} seed(s) from ${args.seed}`;
  console.log(`${ran || 'stopped at the first failure'}; ${failed} failed; ${((Date.now() - started) / 1000).toFixed(1)} s`);
  process.exitCode = failed > 0 ? 1 : 0;
}

if (require.main === module) void main();
