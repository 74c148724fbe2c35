/**
 * Shared settings of the property-based (fast-check) suites: bounded runs in `npm test`, a longer run with
 * FUZZ_RUNS=N, a replay with FUZZ_SEED=<seed> (fast-check prints the seed and the shrunk counterexample on failure;
 * the seed is printed up front too, so a run that hangs or crashes the process can be replayed).
 */
import type fc from 'fast-check';

function envInt(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value)) throw new Error(`${name} must be an integer, got ${JSON.stringify(raw)}`);
  return value;
}

/** fast-check parameters: `numRuns` unless FUZZ_RUNS says more; the seed from FUZZ_SEED or fresh, printed. */
export function fuzzParameters<T = unknown>(defaults: { numRuns: number }, label = 'property'): fc.Parameters<T> {
  const numRuns = envInt('FUZZ_RUNS') ?? defaults.numRuns;
  const seed = envInt('FUZZ_SEED') ?? (Date.now() ^ (Math.random() * 0x100000000)) | 0;
  console.log(`fuzz ${label}: ${numRuns} runs, seed ${seed} (replay: FUZZ_SEED=${seed} FUZZ_RUNS=${numRuns})`);
  return { numRuns, seed, endOnFailure: true };
}
