/**
 * The ticks that fell due while a schedule was paused are its catch-up policy's, even when the tick it was retrying
 * at the pause is delivered only after the resume (found by the simulation, seed 20261272): beta (2 s, catch-up
 * `skip`) paused at :16 while its :16 tick was failing, resumed at :32, delivered the :16 tick at :46, and then sent
 * every tick of :18..:44, those of the pause too: the overlap window of that slow delivery reached back to :16, so the
 * overlap policy (bufferAll), not catch-up `skip`, decided about the paused ticks. The ticks after the resume that
 * fell due while the kept tick was held stay the overlap policy's.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyEvent } from '../../../src/eventsource/core/schedule-events.js';
import { afterTick, newScheduleState, nextStep, type ScheduleState } from '../../../src/eventsource/core/schedule-state.js';
import { specOf } from '../../support/specs.js';
import { at, deliverAt, failed, t0 } from './steps.js';

/** The scheduled seconds of the own ticks sent from `s` on, each delivered at once, up to `until`. */
function sentFrom(state: ScheduleState, s: number, until: number): number[] {
  const sent: number[] = [];
  for (let i = 0; i < 50; i++) {
    const step = nextStep(state, at(s));
    if (step.kind !== 'deliver') break;
    const scheduled = (Date.parse(step.tick.scheduledTime) - t0) / 1_000;
    if (scheduled > until) break;
    sent.push(scheduled);
    state = afterTick(step.state, step.tick, 1, { ok: true, status: 200 }, at(s));
  }
  return sent;
}

for (const resumedBeforeDelivered of [true, false]) {
  test(`regression: ticks of a pause during a tick's retries follow catch-up skip, not the overlap policy (${resumedBeforeDelivered ? 'delivered after the resume' : 'delivered while paused'})`, () => {
    const spec = specOf({ name: 'beta', every: '2s', catchUp: { window: '1h', policy: 'skip' } });
    let state = nextStep(newScheduleState('beta', spec, at(15)), at(15)).state;
    const under = deliverAt(state, 16);
    // Paused during the retries' back-off: the retries stop, the tick is kept.
    const paused = applyEvent(under.state, { kind: 'pause', note: 'sim' }, at(16)).state;
    state = afterTick(paused, under.tick, 1, failed, at(16), at(16));
    if (resumedBeforeDelivered) {
      state = applyEvent(state, { kind: 'resume', note: 'sim' }, at(32)).state;
      // The kept tick comes back after its park (maxBackoff), past the resume, and goes out at once.
      const waiting = nextStep(state, at(32));
      assert.ok(waiting.kind === 'wait' && waiting.until !== undefined && waiting.until.getTime() > at(32).getTime());
      const back = (waiting.until.getTime() - t0) / 1_000;
      const again = deliverAt(state, back);
      assert.equal(again.tick.scheduledTime, at(16).toISOString(), 'the kept tick first');
      state = afterTick(again.state, again.tick, 1, { ok: true, status: 200 }, at(back), at(back));
      const sent = sentFrom(state, back, back);
      assert.deepEqual(sent.filter((s) => s < 32 - 5), [], 'no tick missed during the pause (skip)');
      // The resume's on-time tick (:32), then those that fell due while the kept tick was held: overlap bufferAll.
      assert.deepEqual(sent, Array.from({ length: (back - 32) / 2 + 1 }, (_, i) => 32 + 2 * i));
      return;
    }
    // Tried again while paused (kept ticks are not), or delivered by an attempt the pause did not stop: at :30.
    state = afterTick(state, under.tick, 1, { ok: true, status: 200 }, at(30), at(16));
    state = applyEvent(state, { kind: 'resume', note: 'sim' }, at(40)).state;
    const sent = sentFrom(state, 40, 40);
    assert.deepEqual(sent.filter((s) => s < 40 - 5), [], 'no tick missed during the pause (skip)');
  });
}
