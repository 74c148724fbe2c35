/**
 * How far V8 lets its heap grow past what the last full collection kept. On a machine without a memory limit V8
 * sizes its heap from all the RAM and, under a high allocation rate, lets it grow up to 4× the live data before the
 * next full collection: 10,000 schedules (about 100 MB live) peaked near 580 MB while starting and recovering. In a
 * container Node sizes the heap from the cgroup limit, and V8 then grows a heap of 256 MB or less by 1.3× at most.
 * The host caps the growth at 1.5× wherever it runs, so its peak follows what it holds, not the machine under it
 * (issue #19). Not 1.3×: measured at 316 schedules at 1 s, 30 % cost 5 % more host CPU per tick (more full
 * collections) for a peak of 242 MB; 100 % costs nothing measurable for 288 MB; no cap, 425 MB. Not 2×: at 10,000
 * schedules the peak is the minute after a kill -9, when every instance ticks again and the heap (~105-130 MB live,
 * heap snapshots) grew to 353 MB total for 454 MB RSS; 50 % brought the bench's peak from 428 to 379 MB.
 * `node --heap-growing-percent=N` wins.
 */
import { setFlagsFromString } from 'node:v8';

export const HEAP_GROWING_PERCENT = 50;

/** Applies the growth unless node was given its own; whether it applied it. */
export function limitHeapGrowth(execArgv: readonly string[] = process.execArgv): boolean {
  if (execArgv.some((arg) => /^--heap[-_]growing[-_]percent\b/.test(arg))) return false;
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  return true;
}
