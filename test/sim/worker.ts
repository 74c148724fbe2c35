/**
 * A worker process of the seed pool (pool.ts): runs the seeds its parent sends over IPC, one at a time, and answers
 * each with whether it kept every promise, the failure report, and the real and CPU time it took.
 */
import { report } from './main.js';
import { runSeed } from './run-seed.js';

/** What the parent sends: a seed to run. */
export interface SeedTask {
  seed: number;
  steps: number;
}

/** What a worker answers for each seed. */
export interface SeedOutcome {
  seed: number;
  /** The failure report (seed, invariants, history excerpt, replay command); undefined when it passed. */
  failure?: string;
  realMs: number;
  cpuMs: number;
}

async function runTask(task: SeedTask): Promise<SeedOutcome> {
  const cpu = process.cpuUsage();
  const result = await runSeed(task.seed, { steps: task.steps });
  const used = process.cpuUsage(cpu);
  return {
    seed: task.seed,
    ...(result.violations.length > 0 ? { failure: report(result, task.steps) } : {}),
    realMs: result.realMs,
    cpuMs: Math.round((used.user + used.system) / 1_000),
  };
}

if (require.main === module) {
  // Seeds run one after another: a history's hosts set process.env while they live.
  let queue = Promise.resolve();
  process.on('message', (task: SeedTask | 'exit') => {
    if (task === 'exit') {
      // Its hosts may leave unref'd timers and sockets behind: the seeds are done, so is the process.
      queue = queue.then(() => process.exit(0));
      return;
    }
    queue = queue.then(async () => {
      process.send?.(await runTask(task));
    });
  });
}
