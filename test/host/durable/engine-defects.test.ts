/** Defects found by reading the engine against crashes and hostile input, each pinned by a test on a real Azurite. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startAzurite, type RunningAzurite } from '../../../src/host/storage/azurite.js';
import { DirectInvoker } from '../../support/direct-invoker.js';
import { startEngine, waitFor, waitForStatus } from './harness.js';

let azurite: RunningAzurite;

before(async () => {
  azurite = await startAzurite();
});

after(async () => {
  await azurite.stop();
});

test('a raised event that arrives while an activity runs survives the continue-as-new that follows', async () => {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let started = false;
  const invoker = new DirectInvoker()
    .activity('Slow', async () => {
      started = true;
      await gate;
      return 'done';
    })
    .orchestration('WorkThenListen', function* (ctx) {
      const phase: string = ctx.df.getInput();
      if (phase === 'work') {
        yield ctx.df.callActivity('Slow', null);
        ctx.df.continueAsNew('listen');
        return undefined;
      }
      const ping: string = yield ctx.df.waitForExternalEvent('Ping');
      return `heard ${ping}`;
    });
  const engine = await startEngine({ connectionString: azurite.connectionString, invoker });
  try {
    const id = await engine.start('WorkThenListen', { input: 'work' });
    await waitFor(async () => (started ? true : undefined), 'the activity to run');
    await engine.raiseEvent(id, 'Ping', 'early');
    // Let a step take the event into the running execution's history before the activity ends.
    await waitFor(async () => {
      const history = (await engine.getStatus(id, { showHistory: true }))?.history as { EventType: number }[] | undefined;
      return history?.some((e) => e.EventType === 15) ? true : undefined;
    }, 'the event in history');
    release();
    const status = await waitForStatus(engine, id, ['Completed', 'Failed'], 10_000);
    assert.equal(status.output, 'heard early');
  } finally {
    release();
    await engine.shutdown();
  }
});
