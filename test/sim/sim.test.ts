/**
 * The seeded simulation (test/sim): a few hundred histories of random API calls, sink answers, storage faults and
 * restarts on the virtual clock and the memory store, each checked against the README's promises (invariants.ts).
 * A failure names its seed; `npm run sim -- --seeds 1 --seed <seed> --verbose` replays it. SIM_SEEDS and SIM_SEED
 * choose other seeds (default: 40 from 1).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_STEPS, report } from './main.js';
import { runSeed } from './run-seed.js';

const SEEDS = Number(process.env.SIM_SEEDS ?? 40);
const FIRST = Number(process.env.SIM_SEED ?? 1);

test(`${SEEDS} seeded histories keep every promise of the README`, async () => {
  const failures: string[] = [];
  for (let seed = FIRST; seed < FIRST + SEEDS && failures.length < 3; seed++) {
    const result = await runSeed(seed, { steps: DEFAULT_STEPS });
    if (result.violations.length > 0) failures.push(report(result, DEFAULT_STEPS));
  }
  assert.deepEqual(failures, [], failures.join('\n\n'));
});
