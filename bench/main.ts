/**
 * `npm run bench`: measures the product end to end on this machine (Azurite, and Azurite behind a proxy that adds
 * 10 ms per storage call, and the engine alone on its memory store), prints one table and writes bench/results.json.
 * BENCH_QUICK=1 (or `-- --quick`) is the smoke run (small counts, short windows) that `npm test` runs; it writes to BENCH_OUT or a
 * temporary file, never results.json. `--only <figure id prefixes>` (only.ts) runs part of it and writes nothing
 * unless BENCH_OUT names a file.
 */
import { cpus, loadavg, release, tmpdir, totalmem, type as osType } from 'node:os';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { startAzurite } from '../src/host/storage/azurite.js';
import type { BenchEnv } from './bench-env.js';
import { renderTable, type Figure } from './figures.js';
import { REPO_ROOT } from './host-runner.js';
import { IpcChild } from './ipc-child.js';
import { selectionFrom, selects, shows, unmatched, type Selection } from './only.js';
import { round } from './stats.js';
import { benchPlan, type BenchPlan } from './plan.js';
import { scenarios, type Scenario } from './scenarios.js';

function say(message: string): void {
  process.stdout.write(`${new Date().toISOString().slice(11, 19)} [bench] ${message}\n`);
}

/**
 * Runs one scenario; if it throws, its figures are reported as failed (value null, goal not met) and the run goes
 * on, so that one broken part never hides the others.
 */
async function runScenario(scenario: Scenario, env: BenchEnv): Promise<Figure[]> {
  try {
    return await scenario.run(env);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    say(`${scenario.name} failed: ${reason}`);
    return scenario.expected.map((f) => ({ ...f, value: null, display: `failed: ${reason}`, met: f.goal === null ? null : false }));
  }
}

async function run(plan: BenchPlan, selection: Selection, out: string | undefined): Promise<void> {
  const planned = scenarios(plan, selection);
  const unknown = unmatched(selection, planned.flatMap((s) => s.ids));
  if (unknown.length > 0) throw new Error(`--only: ${unknown.join(', ')} names no figure`);
  const began = Date.now();
  const runId = began.toString(36).slice(-5);
  // Other work on the machine skews every figure: the load average is kept with the results.
  const loadAtStart = loadavg().map((l) => round(l, 1));
  say(`${plan.quick ? 'smoke run (BENCH_QUICK=1)' : 'full run (about 25 minutes)'}${selection ? `, only ${selection.join(', ')}` : ''}; load average ${loadAtStart.join(' ')}`);
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
    for (const scenario of planned) {
      if (selects(selection, scenario.ids)) figures.push(...(await runScenario(scenario, env)).filter((f) => shows(selection, f.id)));
    }
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
  if (out !== undefined) writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`\n${renderTable(figures)}\n\n`);
  const written = out === undefined ? 'nothing written (part of the bench; BENCH_OUT=<file> keeps it)' : `written to ${path.relative(process.cwd(), out) || out}`;
  say(`${figures.filter((f) => f.met === true).length} of ${figures.filter((f) => f.met !== null).length} goals met; ${results.durationS} s; ${written}`);
}

/** Where the results go: BENCH_OUT; else a temporary file for the smoke run, results.json for a whole run, none for a part. */
function outputFile(quick: boolean, selection: Selection): string | undefined {
  if (process.env.BENCH_OUT) return process.env.BENCH_OUT;
  if (quick) return path.join(tmpdir(), 'durable-event-source-bench-quick.json');
  return selection ? undefined : path.join(REPO_ROOT, 'bench', 'results.json');
}

function main(): Promise<void> {
  const quick = process.env.BENCH_QUICK === '1' || process.argv.includes('--quick');
  const plan = benchPlan(quick);
  // BENCH_LEVELS is an experiment on some levels: those alone, nothing written.
  const selection = selectionFrom(process.argv.slice(2), process.env) ?? (process.env.BENCH_LEVELS ? ['lateness.'] : undefined);
  return run(plan, selection, outputFile(quick, selection));
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      say(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      process.exit(1);
    },
  );
}
