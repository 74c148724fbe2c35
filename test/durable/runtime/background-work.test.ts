/** BackgroundWork: what a shutdown waits for. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { BackgroundWork } from '../../../src/durable/runtime/background-work.js';

test('settled() also waits for work tracked while it waits (the step that commits an activity finishing during a shutdown)', async () => {
  const work = new BackgroundWork(pino({ level: 'silent' }), () => true);
  const done: string[] = [];
  const later = (): Promise<void> => new Promise((resolve) => setTimeout(() => resolve(void done.push('commit')), 50));
  // An activity that, as it finishes, hands its result to a step: new work, tracked after settled() began.
  work.track(new Promise<void>((resolve) => setTimeout(() => {
    done.push('activity');
    work.track(later());
    resolve();
  }, 20)));
  await work.settled();
  assert.deepEqual(done, ['activity', 'commit']);
  assert.equal(work.size, 0);
});
