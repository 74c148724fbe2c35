/**
 * The starter's decisions about the instance behind a schedule's id when it is not one the starter created, or not
 * healthy (issue #8): today such instances are "restarted where they stopped" or "left alone" without a word.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { reconcile, STUCK_AFTER_MS, type Reconcile } from '../../../src/eventsource/core/schedule-reconcile.js';
import { originKeyFrom, originMarker, originSecretFrom } from '../../../src/eventsource/core/schedule-origin.js';
import { DEV_KEY } from '../../../src/host/storage/azurite.js';
import { newScheduleState } from '../../../src/eventsource/core/schedule-state.js';
import { statusOf } from '../../../src/eventsource/core/schedule-status.js';
import { TEN_SECONDS } from '../../support/specs.js';

const spec = TEN_SECONDS;
const t0 = new Date('2030-01-01T00:00:00.000Z');
const later = new Date('2030-01-02T00:00:00.000Z');
const originKey = originKeyFrom('the app secret');
const ourMarker = (name: string, generation: string): string => originMarker(originKey, name, generation);
const base = { name: 'default', spec, originKey, now: later };
const ours = statusOf({ ...newScheduleState('default', spec, t0, ourMarker), sequence: 42 });

function started(decision: Reconcile) {
  assert.equal(decision.action, 'start', JSON.stringify(decision));
  if (decision.action !== 'start') throw new Error('unreachable');
  return decision;
}

function alerted(decision: Reconcile) {
  assert.equal(decision.action, 'alert', JSON.stringify(decision));
  if (decision.action !== 'alert') throw new Error('unreachable');
  return decision;
}

test('a new schedule carries the origin marker of its generation', () => {
  const decision = started(reconcile({ ...base, observed: undefined }));
  assert.equal(decision.why, 'new');
  assert.equal(decision.state.origin, ourMarker('default', decision.state.generation));
});

test('regression: a forged state over a terminated schedule (no marker, sequence 1) is not "restarted where it stopped": a new generation starts', () => {
  const forged = statusOf({ ...newScheduleState('default', spec, t0), sequence: 1 });
  const decision = started(reconcile({ ...base, observed: { runtimeStatus: 'Terminated', customStatus: forged } }));
  assert.equal(decision.why, 'new-generation');
  if (decision.why !== 'new-generation') return;
  assert.match(decision.problem, /not created by this starter/);
  assert.equal(decision.state.sequence, 1);
  assert.equal(decision.state.generation, later.toISOString(), 'a fresh generation: its event ids cannot collide');
  assert.notEqual(decision.state.generation, forged.generation);
});

test('a marker made with another key, or for another generation, is not ours', () => {
  const otherKey = originKeyFrom('another secret');
  const foreign = statusOf(newScheduleState('default', spec, t0, (n, g) => originMarker(otherKey, n, g)));
  const moved = { ...ours, generation: '2031-01-01T00:00:00.000Z' };
  for (const status of [foreign, moved]) {
    const decision = started(reconcile({ ...base, observed: { runtimeStatus: 'Failed', customStatus: status } }));
    assert.equal(decision.why, 'new-generation');
  }
});

test('an ended instance with no or a broken status starts a new generation and says why', () => {
  for (const customStatus of [null, 'garbage', { name: 'default' }, { ...ours, nextSequence: -3 }]) {
    const decision = started(reconcile({ ...base, observed: { runtimeStatus: 'Failed', customStatus } }));
    assert.equal(decision.why, 'new-generation');
    if (decision.why === 'new-generation') assert.ok(decision.problem.length > 0);
  }
  const broken = started(reconcile({ ...base, observed: { runtimeStatus: 'Failed', customStatus: { ...ours, nextSequence: -3 } } }));
  if (broken.why === 'new-generation') assert.match(broken.problem, /nextSequence/, 'names the field');
});

test('regression: a running instance the starter did not create is reported, not "already running; left alone"', () => {
  const forged = statusOf({ ...newScheduleState('default', spec, t0), sequence: 900 });
  const decision = alerted(reconcile({ ...base, observed: { runtimeStatus: 'Running', customStatus: forged } }));
  assert.match(decision.problem, /not created by this starter/);
  assert.match(decision.advice, /terminate/);
  const other = alerted(reconcile({ ...base, observed: { runtimeStatus: 'Running', customStatus: { ...ours, name: 'other' } } }));
  assert.match(other.problem, /"other"/);
  const garbage = alerted(reconcile({ ...base, observed: { runtimeStatus: 'Running', customStatus: { hello: 1 } } }));
  assert.match(garbage.problem, /not a schedule status \(name: /);
});

test('regression: an instance Pending (or without status) far too long is reported as stuck, with what to do', () => {
  const createdTime = new Date(later.getTime() - STUCK_AFTER_MS - 1_000);
  const decision = alerted(reconcile({ ...base, observed: { runtimeStatus: 'Pending', customStatus: null, createdTime } }));
  assert.match(decision.problem, /never ran a tick/);
  assert.match(decision.advice, /terminate and purge/);
  const young = new Date(later.getTime() - 1_000);
  assert.deepEqual(reconcile({ ...base, observed: { runtimeStatus: 'Pending', customStatus: null, createdTime: young } }), { action: 'recheck', runtimeStatus: 'Pending', afterMs: STUCK_AFTER_MS - 1_000 + 5_000 });
});

test('regression: a creation time ahead of this clock (skew, or a host on a virtual clock) rechecks within the stuck bound, never years later', () => {
  // Before: age went negative and afterMs grew with the skew (3 years in the simulation, which Node's setTimeout
  // turned into 1 ms: the starter looked again at once, over and over).
  fc.assert(
    fc.property(fc.integer({ min: -10 * 365 * 86_400_000, max: 10 * 365 * 86_400_000 }), (offsetMs) => {
      const createdTime = new Date(later.getTime() + offsetMs);
      const decision = reconcile({ ...base, observed: { runtimeStatus: 'Pending', customStatus: null, createdTime } });
      if (decision.action === 'alert') return -offsetMs > STUCK_AFTER_MS;
      return decision.action === 'recheck' && decision.afterMs >= 5_000 && decision.afterMs <= STUCK_AFTER_MS + 5_000;
    }),
  );
});

test('the sequence never goes back below one this starter saw', () => {
  const seen = { generation: ours.generation, sequence: 50 };
  const running = alerted(reconcile({ ...base, seen, observed: { runtimeStatus: 'Running', customStatus: ours } }));
  assert.match(running.problem, /went back from 50 to 42/);
  const restarted = started(reconcile({ ...base, seen, observed: { runtimeStatus: 'Terminated', customStatus: ours } }));
  assert.equal(restarted.why, 'restart');
  assert.equal(restarted.state.sequence, 50);
  const onward = started(reconcile({ ...base, seen: { ...seen, sequence: 10 }, observed: { runtimeStatus: 'Terminated', customStatus: ours } }));
  assert.equal(onward.state.sequence, 42);
});

test('the origin secret is the account name and key of AzureWebJobsStorage, not its endpoints', () => {
  const a = 'DefaultEndpointsProtocol=http;AccountName=dev;AccountKey=a2V5;TableEndpoint=http://127.0.0.1:10002/dev;';
  const b = 'AccountName=dev; AccountKey = a2V5 ;TableEndpoint=http://127.0.0.1:41234/dev';
  assert.equal(originSecretFrom(a), 'dev\na2V5');
  assert.equal(originSecretFrom(a), originSecretFrom(b), 'Azurite on another port: the same schedules are still ours');
  assert.notEqual(originSecretFrom(a), originSecretFrom(a.replace('a2V5', 'b3RoZXI=')));
  const azurite = `AccountName=devstoreaccount1;AccountKey=${DEV_KEY};TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;`;
  assert.equal(originSecretFrom('UseDevelopmentStorage=true'), originSecretFrom(azurite), 'func (local.settings.json) and npm start agree');
  assert.equal(originSecretFrom(undefined), '');
});
