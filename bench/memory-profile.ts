/**
 * The host's memory over the life of many schedules (issue #19), standalone: `node dist/bench/memory-profile.js`.
 * Starts MEM_SCHEDULES (10,000) schedules at MEM_EVERY (60 s) on a fresh hub as bench/many-schedules.ts does, samples
 * the host's RSS every 100 ms through start, settle, waiting, kill -9, restart and recovery, and prints the peak of
 * each phase and the recovery time (kill → last tick later than 1 s). MEM_HEAP_SNAPSHOTS=<dir> runs the host with
 * `--heapsnapshot-signal=SIGUSR1` and writes a snapshot while waiting and one during recovery (each perturbs RSS).
 * MEM_TIMELINE=<file> keeps every sample (ms since the run began, phase, MB).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startAzurite } from '../src/host/storage/azurite.js';
import { BenchHost, type BenchHostOptions } from './host-runner.js';
import { IpcChild } from './ipc-child.js';
import { rssBytes } from './proc-stats.js';
import { startSchedules } from './start-schedules.js';
import { round } from './stats.js';

const count = Number(process.env.MEM_SCHEDULES ?? 10_000);
const every = process.env.MEM_EVERY ?? '60s';
const everyMs = Number(/^(\d+)s$/.exec(every)?.[1] ?? 60) * 1000;
const snapshots = process.env.MEM_HEAP_SNAPSHOTS;

interface Sample {
  at: number;
  phase: string;
  mb: number;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

class Sampler {
  readonly samples: Sample[] = [];
  phase = 'boot';
  host: BenchHost | undefined;
  private readonly began = Date.now();
  private readonly timer = setInterval(() => this.sample(), 100);

  sample(): void {
    const rss = rssBytes(this.host?.pid);
    if (rss !== undefined) this.samples.push({ at: Date.now() - this.began, phase: this.phase, mb: rss / 2 ** 20 });
  }

  stop(): void {
    clearInterval(this.timer);
  }

  peaks(): Record<string, number> {
    const peaks: Record<string, number> = {};
    for (const s of this.samples) peaks[s.phase] = round(Math.max(peaks[s.phase] ?? 0, s.mb), 0);
    return peaks;
  }
}

async function snapshot(host: BenchHost, label: string): Promise<void> {
  if (!snapshots) return;
  host.child.kill('SIGUSR1');
  console.log(`  heap snapshot requested (${label})`);
  await sleep(15_000);
}

async function main(): Promise<void> {
  const azurite = await startAzurite({});
  const sink = await IpcChild.start<{ port: number }>(path.join(__dirname, 'sink-process.js'));
  if (snapshots) mkdirSync(snapshots, { recursive: true });
  const options: BenchHostOptions = {
    storage: azurite.connectionString,
    sink: `http://127.0.0.1:${sink.ready.port}/`,
    taskHubName: `M${Date.now().toString(36)}`,
    env: {
      LOG_LEVEL: 'warn',
      ...(snapshots ? { NODE_OPTIONS: `--heapsnapshot-signal=SIGUSR1 --diagnostic-dir=${snapshots}` } : {}),
      ...(process.env.MEM_HOST_NODE_OPTIONS ? { NODE_OPTIONS: process.env.MEM_HOST_NODE_OPTIONS } : {}),
    },
  };
  const sampler = new Sampler();
  let host: BenchHost | undefined;
  try {
    host = await BenchHost.start(options);
    sampler.host = host;
    sampler.phase = 'start';
    const began = Date.now();
    // First ticks after starting (~1 ms each plus margin), spread over one interval as the bench spreads them.
    const fireAt = began + Number(process.env.MEM_FIRE_AFTER_MS ?? Math.max(60_000, count * 10));
    const started = await startSchedules(host.url, { prefix: 'mem', count, every, firstFireAt: (i) => fireAt + Math.floor((i * everyMs) / count) }, 30 * 60_000);
    const startS = (Date.now() - began) / 1000;
    console.log(`  ${started} started in ${round(startS, 1)} s`);
    sampler.phase = 'settle';
    await sleep(Math.min(20_000, fireAt - Date.now() - 10_000));
    sampler.phase = 'waiting';
    const waitingRss = (await host.metrics()).rssBytes;
    await snapshot(host, 'waiting');
    await sleep(fireAt - Date.now());
    sampler.phase = 'ticking';
    await sleep(everyMs / 3);
    sampler.phase = 'restart';
    const killedAt = Date.now();
    host.child.kill('SIGKILL');
    await sleep(50);
    host = await BenchHost.start(options);
    sampler.host = host;
    const readyS = (Date.now() - killedAt) / 1000;
    sampler.phase = 'recovery';
    if (snapshots) setTimeout(() => host?.child.kill('SIGUSR1'), 1_500);
    const watchTo = killedAt + everyMs;
    await sleep(watchTo + 2_000 - Date.now());
    const late = await sink.ipc.request<{ distinct: number; lastLateAt: number; lastLateness: number }>('lateSince', { from: killedAt, to: watchTo, thresholdMs: 1_000 });
    sampler.phase = 'after';
    const afterRss = (await host.metrics()).rssBytes;
    const result = {
      schedules: count,
      every,
      started,
      startS: round(startS, 1),
      waitingMb: round(waitingRss / 2 ** 20, 0),
      afterRecoveryMb: round(afterRss / 2 ** 20, 0),
      peaks: sampler.peaks(),
      restartReadyS: round(readyS, 2),
      recoveredS: round(Math.max(0, (late.lastLateAt || killedAt) - killedAt) / 1000, 1),
      afterKill: late,
    };
    console.log(JSON.stringify(result));
    if (process.env.MEM_TIMELINE) writeFileSync(process.env.MEM_TIMELINE, sampler.samples.map((s) => `${s.at}\t${s.phase}\t${round(s.mb, 0)}`).join('\n'));
  } finally {
    sampler.stop();
    host?.child.kill('SIGKILL');
    await Promise.allSettled([sink.ipc.stop(), azurite.stop()]);
  }
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
