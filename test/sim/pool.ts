/**
 * Runs many seeds in parallel worker processes (worker.ts), each taking the next seed when it is done with one. A
 * history spends most of its real time waiting (the app's own real-time retries and polls, lease expiry, a stopping
 * host), so several run side by side on one core. A worker is replaced after SEEDS_PER_WORKER seeds, in case a
 * history leaves something behind: each loads the app afresh (measured since stopped apps are released: RSS 205 MB
 * after 5 seeds, 219 after 30, with a forced GC after each). A new worker costs about 0.8 s of CPU (imports, then a
 * first seed that loads the shared packages and runs unoptimised code: 0.9 s of CPU for a seed that takes 0.45 s again).
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { SeedOutcome, SeedTask } from './worker.js';

const SEEDS_PER_WORKER = 250;
const WORKER = path.join(__dirname, 'worker.js');
/** A larger young generation: a history allocates much short-lived garbage (about 5% less CPU a seed). */
const WORKER_FLAGS = ['--max-semi-space-size=32'];

export interface PoolOptions {
  from: number;
  count: number;
  steps: number;
  jobs: number;
  /** Go on after a failure (else no new seed starts after the first one). */
  keepGoing: boolean;
  /** Called after every seed with the totals so far. */
  onSeed?: (outcome: SeedOutcome, totals: PoolTotals) => void;
}

export interface PoolTotals {
  done: number;
  /** Failure reports, in the order they came. */
  failures: SeedOutcome[];
  /** CPU time of the seeds themselves (the workers' start-up not included). */
  cpuMs: number;
  realMs: number;
}

export async function runPool(options: PoolOptions): Promise<PoolTotals> {
  const totals: PoolTotals = { done: 0, failures: [], cpuMs: 0, realMs: 0 };
  let next = options.from;
  const end = options.from + options.count;
  const stopped = (): boolean => !options.keepGoing && totals.failures.length > 0;

  /** One lane: a worker at a time, each running up to SEEDS_PER_WORKER seeds, until the seeds run out. */
  const lane = async (): Promise<void> => {
    while (next < end && !stopped()) {
      const child = fork(WORKER, [], { execArgv: [...process.execArgv, ...WORKER_FLAGS], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      try {
        for (let n = 0; n < SEEDS_PER_WORKER && next < end && !stopped(); n++) {
          const outcome = await runOn(child, { seed: next++, steps: options.steps });
          totals.done++;
          totals.cpuMs += outcome.cpuMs;
          totals.realMs += outcome.realMs;
          if (outcome.failure !== undefined) totals.failures.push(outcome);
          options.onSeed?.(outcome, totals);
        }
      } finally {
        await retire(child);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.jobs) }, lane));
  return totals;
}

/** Sends one seed and waits for its outcome; a worker that dies meanwhile fails the seed (with how it died). */
function runOn(child: ChildProcess, task: SeedTask): Promise<SeedOutcome> {
  return new Promise((resolve) => {
    const onMessage = (outcome: SeedOutcome): void => {
      child.off('exit', onExit);
      resolve(outcome);
    };
    const onExit = (code: number | null, signal: string | null): void => {
      child.off('message', onMessage);
      const failure = `seed ${task.seed} FAILED: its worker process exited (code ${code}, signal ${signal})`;
      resolve({ seed: task.seed, failure, realMs: 0, cpuMs: 0 });
    };
    child.once('message', onMessage);
    child.once('exit', onExit);
    child.send(task);
  });
}

async function retire(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.connected) child.send('exit');
  // A worker whose hosts left timers behind would linger after its last seed: it has nothing more to do.
  const timer = setTimeout(() => child.kill(), 5_000);
  await exited;
  clearTimeout(timer);
}
