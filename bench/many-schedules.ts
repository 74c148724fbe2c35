/**
 * Many schedules on one host (10,000, and 100,000 for issue #19; `ManyPlan.schedules`). They are started with their first tick placed after a quiet period: while they all
 * wait, the host's RSS and its idle storage calls per second are measured. Then the ticks come, spread evenly over
 * one interval; a third of the way in the host is killed (kill -9) and started again at once. Every tick due in the
 * watch period after the kill must arrive, and the time from the kill to the last late one (lateness > 1 s) is the
 * recovery time; if late ticks still come in the last fifth of the watch, it has not recovered.
 */
import { BenchHost } from './host-runner.js';
import { hubName, sleep, storageFor, type BenchEnv } from './bench-env.js';
import { mb, rssPeak } from './proc-stats.js';
import { startSchedules } from './start-schedules.js';
import { round } from './stats.js';

export interface ManyPlan {
  schedules: number;
  /** Interval of every schedule, e.g. `60s`. */
  every: string;
  everyMs: number;
  /** Time allowed for starting them all. */
  startBudgetMs: number;
  /** Time allowed, once all are started, for the host to finish their first steps (it says how long it took). */
  settleBudgetMs: number;
  /** Length of the idle measurement once all are started and settled. */
  idleMs: number;
  /** A tick later than this counts as not on time. */
  onTimeMs: number;
  /** Ticks due in this long after the kill are watched; the last fifth of it must be all on time. */
  watchMs: number;
}

export interface ManyResult {
  schedules: number;
  started: number;
  startSeconds: number;
  every: string;
  rssMb: number | null;
  /** Highest RSS over the whole run; while starting them (to the end of the settle); from the restart to the end. */
  peakRssMb: number | null;
  startPeakRssMb: number | null;
  recoveryPeakRssMb: number | null;
  /** Seconds from the last start until the host made no more than a few storage calls in 2 s. */
  settleS: number | null;
  idleWindowS: number;
  idleCallsPerSecond: number | null;
  restartReadyS: number | null;
  /** Seconds from the kill until the new host had every instance's wake time armed (null: not within the watch). */
  takeoverS: number | null;
  /** Seconds from the kill until the last late tick (null: still late or incomplete when the watch ended). */
  recoveredS: number | null;
  watchS: number;
  afterKill: { expected: number; delivered: number; lastLatenessMs: number };
}

interface LateSince {
  count: number;
  distinct: number;
  lastLateAt: number;
  lastLateness: number;
}

export async function runManySchedules(env: BenchEnv, plan: ManyPlan): Promise<ManyResult> {
  await env.sink.request('reset');
  // The pid of the host process running now, from its spawn on: a recovering host scans the hub before it is ready.
  let pid: number | undefined;
  const options = { storage: storageFor(env, 'azurite'), sink: env.sinkUrl, taskHubName: hubName(env, `many${plan.schedules}`), onSpawn: (p?: number) => (pid = p) };
  const peak = rssPeak(() => pid);
  const phasePeaks = rssPeak(() => pid);
  let host = await BenchHost.start(options).catch((error: unknown) => {
    peak.stop();
    phasePeaks.stop();
    throw error;
  });
  try {
    const phaseStart = Date.now();
    const fireAt = phaseStart + plan.startBudgetMs + plan.settleBudgetMs + plan.idleMs + 3_000;
    const firstFire = (i: number): number => fireAt + Math.floor((i * plan.everyMs) / plan.schedules);
    env.say(`  starting ${plan.schedules} schedules (first ticks from ${new Date(fireAt).toISOString().slice(11, 19)})`);
    const started = await startSchedules(host.url, { prefix: 'many', count: plan.schedules, every: plan.every, firstFireAt: firstFire }, plan.startBudgetMs);
    const startSeconds = (Date.now() - phaseStart) / 1000;
    // The starts return before the host has run each new schedule's first step: idle is measured once those are done.
    const settleS = await settled(host, Date.now() + plan.settleBudgetMs);
    const startPeak = phasePeaks.reset();
    const before = await host.metrics();
    const idleFrom = Date.now();
    await sleep(fireAt - 500 - idleFrom);
    const after = await host.metrics();
    const idleSeconds = (Date.now() - idleFrom) / 1000;

    const killAt = fireAt + Math.floor(plan.everyMs / 3);
    await sleep(killAt - Date.now());
    env.say('  kill -9 and restart');
    const killedAt = Date.now();
    await host.kill9();
    phasePeaks.reset();
    host = await BenchHost.start(options);
    const restartReadyS = (Date.now() - killedAt) / 1000;
    // Watch every tick due from the kill for watchMs, plus 2 s for the last ones to arrive.
    const watchTo = killedAt + plan.watchMs;
    await sleep(watchTo + 2_000 - Date.now());
    const seen = await env.sink.request<LateSince>('lateSince', { from: killedAt, to: watchTo, thresholdMs: plan.onTimeMs });
    const expected = countDue(started, plan, fireAt, killedAt, watchTo);
    const complete = seen.distinct >= expected;
    const lateAtEnd = seen.lastLateAt > watchTo - plan.watchMs / 5;
    const recoveryPeak = phasePeaks.stop();
    return {
      schedules: plan.schedules,
      started,
      startSeconds: round(startSeconds, 1),
      every: plan.every,
      rssMb: mb(after.rssBytes),
      peakRssMb: mb(peak.stop()),
      startPeakRssMb: mb(startPeak),
      recoveryPeakRssMb: mb(recoveryPeak),
      settleS,
      idleWindowS: round(idleSeconds, 1),
      idleCallsPerSecond: idleSeconds > 0 ? round((after.total - before.total) / idleSeconds, 1) : null,
      restartReadyS: round(restartReadyS),
      takeoverS: host.tookOverAt === undefined ? null : round((host.tookOverAt - killedAt) / 1000, 1),
      recoveredS: complete && !lateAtEnd ? round(Math.max(0, (seen.lastLateAt || killedAt) - killedAt) / 1000, 1) : null,
      watchS: plan.watchMs / 1000,
      afterKill: { expected, delivered: seen.distinct, lastLatenessMs: seen.lastLateness },
    };
  } finally {
    peak.stop();
    phasePeaks.stop();
    await host.kill9();
  }
}

/** Waits until the host makes at most 4 storage calls in 2 s (lease renewal, safety net); seconds taken, or null. */
export async function settled(host: BenchHost, deadline: number): Promise<number | null> {
  const from = Date.now();
  let last = await host.metrics();
  while (Date.now() < deadline) {
    await sleep(2_000);
    const now = await host.metrics();
    if (now.total - last.total <= 4) return round((Date.now() - from) / 1000, 1);
    last = now;
  }
  return null;
}

/** Ticks scheduled in [from, to) for the started schedules (first tick firstFire(i), then every interval). */
function countDue(started: number, plan: ManyPlan, fireAt: number, from: number, to: number): number {
  let due = 0;
  for (let i = 0; i < started; i++) {
    for (let t = fireAt + Math.floor((i * plan.everyMs) / plan.schedules); t < to; t += plan.everyMs) if (t >= from) due++;
  }
  return due;
}
