/**
 * The seeded simulation (test/sim): histories of random API calls, sink answers, storage faults, restarts and a
 * second host on the virtual clock and the memory store, each checked against the README's promises
 * (invariants.ts). A failure names its seed; `npm run sim -- --seeds 1 --seed <seed> --verbose` replays it.
 * SIM_SEEDS and SIM_SEED choose other seeds (default: 30 from 1), in tests of 5 seeds each.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_STEPS, report } from './main.js';
import { runSeed } from './run-seed.js';

const SEEDS = Number(process.env.SIM_SEEDS ?? 30);
const FIRST = Number(process.env.SIM_SEED ?? 1);
const CHUNK = 5;

for (let from = FIRST; from < FIRST + SEEDS; from += CHUNK) {
  const to = Math.min(from + CHUNK, FIRST + SEEDS) - 1;
  test(`seeded histories ${from}-${to} keep every promise of the README`, async () => {
    const failures: string[] = [];
    for (let seed = from; seed <= to; seed++) {
      const result = await runSeed(seed, { steps: DEFAULT_STEPS });
      if (result.violations.length > 0) failures.push(report(result, DEFAULT_STEPS));
    }
    assert.deepEqual(failures, [], failures.join('\n\n'));
  });
}
