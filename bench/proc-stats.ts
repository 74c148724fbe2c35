/** CPU time and memory of a process by pid, from /proc (Linux); undefined elsewhere or once it is gone. */
import { readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

/** User + system CPU seconds the process has used so far. */
export function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** Resident set size in bytes. */
export function rssBytes(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Measures a process's CPU share (1.0 = one core busy) between start() and the returned function's call. */
export function cpuMeter(pid: number | undefined): () => number | undefined {
  const startCpu = cpuSeconds(pid);
  const startAt = Date.now();
  return () => {
    const endCpu = cpuSeconds(pid);
    if (startCpu === undefined || endCpu === undefined) return undefined;
    return (endCpu - startCpu) / Math.max(0.001, (Date.now() - startAt) / 1000);
  };
}

/** The highest RSS a process reaches while sampled (every 250 ms from start() until stop()), in bytes. */
export interface RssPeak {
  /** Highest RSS so far (0: no sample yet). */
  readonly bytes: number;
  /** Starts a new phase: the peak counted from now on (the process may have changed: `pid` is read at each sample). */
  reset(): number;
  stop(): number;
}

export function rssPeak(pid: () => number | undefined, everyMs = 250): RssPeak {
  let peak = 0;
  const sample = (): void => void (peak = Math.max(peak, rssBytes(pid()) ?? 0));
  sample();
  const timer = setInterval(sample, everyMs);
  timer.unref();
  return {
    get bytes() {
      return peak;
    },
    reset() {
      sample();
      const last = peak;
      peak = 0;
      sample();
      return last;
    },
    stop() {
      sample();
      clearInterval(timer);
      return peak;
    },
  };
}

/** Bytes as whole MB (null: not measured). */
export function mb(bytes: number | undefined | null): number | null {
  return bytes === undefined || bytes === null || bytes === 0 ? null : Math.round(bytes / 2 ** 20);
}
