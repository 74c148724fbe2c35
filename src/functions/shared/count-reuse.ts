/**
 * How long the schedules gauge of `/api/metrics` reuses a count: a count lists every instance, so its cost grows with
 * the hub (10,000 schedules: a fraction of a second; 100,000 on Azurite: seconds, and Azurite filters its whole table
 * for every page). A count is reused for at least COUNT_TTL_MS and at least COST_SHARE times what it took, so counting
 * never takes more than a tenth of the host's and the storage's time, however often Prometheus scrapes.
 */
export const COUNT_TTL_MS = 5_000;
const COST_SHARE = 10;

/** For how long a count that took `tookMs` is served again. */
export function countReuseMs(tookMs: number): number {
  return Math.max(COUNT_TTL_MS, COST_SHARE * Math.max(0, tookMs));
}
