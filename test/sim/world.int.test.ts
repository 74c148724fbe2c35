/**
 * The simulated world's gating of virtual time (world.ts settle): it waits for the owner to take wake marks, but not
 * for a crashed host to do so; the host that replaces it must take them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { instanceIdFor } from '../../src/functions/shared/names.js';
import { NO_FAULTS } from './faulty-store.js';
import { Prng } from './prng.js';
import { World } from './world.js';

const wakesLeft = async (world: World): Promise<number> => (await world.store.scanMessages()).signals.wakes;

// Seed 30002799: a host that did not yet know it held the lease marked a wake for its own start, then crashed; the
// world waited 20 s for a mark no running host could take, and the history threw.
test('a wake mark left when the only host crashed holds virtual time only until the next host takes it', async (t) => {
  const world = new World(new Prng(1), NO_FAULTS, () => undefined);
  t.after(() => world.stop());
  await world.start(false);
  await world.settle();
  const stores = world.stores;
  assert.ok(stores, 'a host runs');
  stores.dead = true;
  await world.store.markWake(instanceIdFor('env'));

  const started = Date.now();
  await world.settle();
  assert.ok(Date.now() - started < 5_000, `settled in ${Date.now() - started} ms with the host crashed`);
  assert.equal(await wakesLeft(world), 1, 'nobody took the mark while the host was down');

  await world.restart('test', true);
  await world.settle();
  assert.equal(await wakesLeft(world), 0, 'the next host took the mark');
});
