/**
 * A new spec that arrives while the schedule's own tick is being delivered leaves that tick in place (found by the
 * simulation, seed 1707099012): the tick at :35 of a 5 s schedule failing when the spec became 10 s was replaced by
 * the new grid's :40 tick, which then went out with the sequence (7) the :35 tick had already been sent with.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyEvent } from '../../../src/eventsource/core/schedule-events.js';
import { afterTick, idOf, newScheduleState, nextStep } from '../../../src/eventsource/core/schedule-state.js';
import { specOf } from '../../support/specs.js';
import { at, deliverAt, failed } from './steps.js';

const spec = (every: string) => specOf({ name: 'filed', every, catchUp: { window: '1h', policy: 'all' } });

for (const outcome of ['delivered', 'failed'] as const) {
  test(`regression: the own tick under delivery when a new spec arrives keeps its place and sequence (${outcome})`, () => {
    let state = nextStep(newScheduleState('filed', spec('5s'), at(0)), at(0)).state;
    for (const s of [5, 10]) {
      const d = deliverAt(state, s);
      state = afterTick(d.state, d.tick, 1, { ok: true, status: 200 }, at(s));
    }
    const under = deliverAt(state, 15);
    assert.equal(under.tick.sequence, 3);
    const rescheduled = applyEvent(under.state, { kind: 'reschedule', spec: spec('10s') }, at(16), true, under.tick.scheduledTime).state;
    if (outcome === 'delivered') {
      const after = afterTick(rescheduled, under.tick, 2, { ok: true, status: 200 }, at(17));
      const next = deliverAt(after, 20);
      assert.equal(next.tick.scheduledTime, at(20).toISOString(), 'the new grid from the tick after it');
      assert.equal(next.tick.sequence, 4);
      return;
    }
    const kept = afterTick(rescheduled, under.tick, 5, failed, at(20), at(15));
    const again = deliverAt(kept, 60);
    assert.equal(idOf(again.tick), idOf(under.tick), 'the same tick is tried again');
    assert.equal(again.tick.sequence, 3);
    const after = afterTick(again.state, again.tick, 1, { ok: true, status: 200 }, at(60));
    const next = deliverAt(after, 60);
    assert.equal(next.tick.scheduledTime, at(20).toISOString(), 'then the new grid (catch-up all)');
    assert.equal(next.tick.sequence, 4);
  });
}
