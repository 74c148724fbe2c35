/**
 * The hub's lease row (`~hub`/`lease`): what a holder writes, how a reader sees it, and when its holder is certainly
 * gone. Decisions never use the row's wall-clock `ExpiresAt`: it is the writer's estimate, kept for people reading
 * the table. Readers judge expiry by their own monotonic clock (hub-lease.ts).
 */

/** Where a lease holder runs: the machine's hostname and its process id there. */
export interface LeaseHolder {
  host: string;
  pid: number;
}

/** A lease row as read back. */
export interface LeaseRow {
  etag: string;
  owner: string | undefined;
  host: string | undefined;
  pid: number | undefined;
  token: string | undefined;
  /** How long the holder promised others to wait for its next renewal; undefined on rows of older versions. */
  durationMs: number | undefined;
  /** The holder let it go (shutdown): anyone may take it at once. */
  released: boolean;
}

/** What a holder writes. `renewals` makes every write a visible change, `expiresAt` is informational only. */
export interface LeaseWrite {
  owner: string;
  holder: LeaseHolder;
  token: string;
  durationMs: number;
  renewals: number;
  released: boolean;
  expiresAt: number;
}

/** Leases held by live HubLease objects of THIS process (a pid alone cannot tell two engines in one process apart). */
export const liveTokens = new Set<string>();

/** Whether process `pid` exists on this machine (signal 0 only checks; EPERM means it exists but is not ours). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Whether the recorded holder of a lease is certainly gone, so that it may be taken over at once:
 * - on this machine (same hostname) with a pid that no longer exists (kill -9, then a restart);
 * - on this machine with OUR pid but not one of our live leases: an earlier incarnation (a restarted container
 *   usually gets pid 1 again), or an engine of this process that stopped without releasing.
 * Any other holder (another machine, or a live process here, even a frozen one) is waited out.
 */
export function holderIsGone(lease: LeaseRow, me: LeaseHolder): boolean {
  if (lease.host === undefined || lease.host !== me.host || lease.pid === undefined) return false;
  if (lease.pid === me.pid) return !liveTokens.has(lease.token ?? '');
  return !processAlive(lease.pid);
}
