/**
 * The seeded simulation (test/sim): histories of random API calls, sink answers, storage faults, restarts and a
 * second host on the virtual clock and the memory store, each checked against the README's promises
 * (invariants.ts). A failure names its seed; `npm run sim -- --seeds 1 --seed <seed> --verbose` replays it.
 * SIM_SEEDS and SIM_SEED choose other seeds (default: 200 from 1, about 0.45 s of CPU each: about 45 s on two idle
 * cores), SIM_JOBS the worker processes (pool.ts; default two a core, main.ts DEFAULT_JOBS: a history waits about half
 * its real time, on a lease, a stopping host, the app's real-time polls).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_JOBS, DEFAULT_STEPS } from './main.js';
import { runPool } from './pool.js';

const SEEDS = Number(process.env.SIM_SEEDS ?? 200);
const FIRST = Number(process.env.SIM_SEED ?? 1);
const JOBS = Number(process.env.SIM_JOBS ?? DEFAULT_JOBS);

test(`seeded histories ${FIRST}-${FIRST + SEEDS - 1} keep every promise of the README`, async () => {
  const started = Date.now();
  const totals = await runPool({ from: FIRST, count: SEEDS, steps: DEFAULT_STEPS, jobs: JOBS, keepGoing: true });
  const failures = totals.failures.sort((a, b) => a.seed - b.seed).map((f) => f.failure);
  const took = `${totals.done} seeds in ${((Date.now() - started) / 1000).toFixed(1)} s, ${(totals.cpuMs / Math.max(1, totals.done)).toFixed(0)} ms CPU a seed`;
  assert.equal(totals.done, SEEDS, took);
  assert.equal(failures.length, 0, `${took}: ${failures.length} failed\n\n${failures.join('\n\n')}`);
});
