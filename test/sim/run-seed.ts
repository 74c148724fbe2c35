/** One seed, one history: the world, the driver's steps, the drain, then every invariant over what happened. */
import type { FaultRates } from './faulty-store.js';
import { NO_FAULTS } from './faulty-store.js';
import { avoids, Driver } from './driver.js';
import { History } from './history.js';
import { checkHistory, type Violation } from './invariants.js';
import { Model } from './model.js';
import { Prng } from './prng.js';
import { SIM_START, World } from './world.js';

export interface SeedOptions {
  /** Driver steps (API calls), each followed by 0-10 s of virtual time. */
  steps: number;
}

export interface SeedResult {
  seed: number;
  violations: Violation[];
  history: History;
  realMs: number;
  virtualMs: number;
  attempts: number;
}

/** How rough a seed's storage is: a third calm, a third light, a third rough. */
function faultsOf(prng: Prng): FaultRates {
  return prng.weighted<FaultRates>([
    [1, NO_FAULTS],
    [1, { delay: 0.05, unavailable: 0.01, lostAnswer: 0.005, crash: 0.0005, leaseLoss: 0.002 }],
    [1, { delay: 0.2, unavailable: 0.04, lostAnswer: 0.02, crash: 0.002, leaseLoss: 0.01 }],
  ]);
}

export async function runSeed(seed: number, options: SeedOptions): Promise<SeedResult> {
  const started = Date.now();
  const prng = new Prng(seed);
  const faults = faultsOf(prng.fork('profile'));
  // eslint-disable-next-line prefer-const -- the world may log while it is built, before the history exists
  let history: History | undefined;
  const world = new World(prng.fork('world'), faults, (line) => history?.log(line));
  history = new History(() => world.clock.now());
  history.log(`seed ${seed}: storage faults ${JSON.stringify(faults)}`);
  const model = new Model();
  const driver = new Driver(world, model, history, prng.fork('driver'));
  let healthy = false;
  world.sink.respond = driver.sinkAnswers(prng.fork('sink'), () => healthy);
  const violations: Violation[] = [];
  try {
    const standby = prng.fork('standby').chance(0.3) && !avoids('standby');
    if (standby) history.log('a second host (standby) on the same store; some calls go through it');
    await world.start(standby);
    await driver.learn(model.created('env', SIM_START, { everyMs: 30_000, policy: 'all' }));
    for (let i = 0; i < options.steps; i++) await driver.step();
    healthy = true;
    await driver.drain();
    violations.push(...driver.violations, ...checkHistory(model, history.attempts, world.clock.now()));
  } catch (error) {
    violations.push({ invariant: 'history-runs', detail: `the history threw: ${(error as Error).stack ?? String(error)}` });
  } finally {
    await world.stop().catch(() => undefined);
  }
  return { seed, violations, history, realMs: Date.now() - started, virtualMs: world.clock.now() - SIM_START, attempts: history.attempts.length };
}
