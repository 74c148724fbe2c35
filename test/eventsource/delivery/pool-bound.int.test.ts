/**
 * Connection pools per sink origin, bounded however many schedules share them: many concurrent deliveries from
 * several schedules' deliveries to one origin never open more sockets than the bound (counted on the server).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createDelivery } from '../../../src/eventsource/delivery/deliver.js';
import { createDispatcher, DEFAULT_CONNECTIONS_PER_ORIGIN } from '../../../src/eventsource/delivery/dispatcher.js';
import { buildEvent } from '../../../src/eventsource/core/event.js';
import { RecordingSink } from '../../support/recording-sink.js';

function eventOf(scheduleName: string, sequence: number) {
  return buildEvent(
    { scheduleName, generation: '2025-01-01T00:00:00.000Z', sequence, scheduledTime: '2025-01-01T00:00:10.000Z' },
    { type: 'com.hello.cron-event', source: 'urn:hello-com:cron-source', overrides: {} },
  );
}

/** A sink that answers after `delayMs` and records how many requests it held at once. */
async function slowSink(delayMs: number): Promise<RecordingSink & { peak: () => number }> {
  const sink = await RecordingSink.answering();
  let open = 0;
  let peak = 0;
  sink.answer = (_req, res) => {
    open += 1;
    peak = Math.max(peak, open);
    setTimeout(() => {
      open -= 1;
      res.writeHead(202).end();
    }, delayMs);
  };
  return Object.assign(sink, { peak: () => peak });
}

describe('connection pools per sink origin', () => {
  let a: Awaited<ReturnType<typeof slowSink>>;
  let b: Awaited<ReturnType<typeof slowSink>>;
  before(async () => {
    a = await slowSink(40);
    b = await slowSink(40);
  });
  after(async () => {
    await a.stop();
    await b.stop();
  });

  it('60 concurrent deliveries of 6 schedules to each of two origins open at most 4 connections per origin, and all arrive', async () => {
    const pools = createDispatcher({ connectionsPerOrigin: 4 });
    const schedules = Array.from({ length: 6 }, (_, i) => `s${i}`);
    const sends = schedules.flatMap((name) =>
      [a, b].flatMap((sink) => {
        const delivery = createDelivery({ sink: sink.at(`/${name}`), mode: 'binary', timeoutMs: 10_000, dispatcher: pools });
        return Array.from({ length: 10 }, (_, n) => delivery.deliver(eventOf(name, n + 1)));
      }),
    );
    const outcomes = await Promise.all(sends);
    assert.equal(outcomes.filter((o) => o.ok).length, 120);
    for (const sink of [a, b]) {
      assert.equal(sink.requests.length, 60);
      assert.ok(sink.connections <= 4, `${sink.connections} sockets opened`);
      assert.ok(sink.peak() <= 4, `${sink.peak()} requests held at once`);
      assert.ok(sink.connections >= 2, 'the pool does open several connections under load');
    }
    await pools.close();
  });

  it(`the default bound is ${DEFAULT_CONNECTIONS_PER_ORIGIN} per origin`, async () => {
    const sink = await slowSink(60);
    try {
      const pools = createDispatcher();
      const delivery = createDelivery({ sink: sink.at(), mode: 'binary', timeoutMs: 20_000, dispatcher: pools });
      const outcomes = await Promise.all(Array.from({ length: DEFAULT_CONNECTIONS_PER_ORIGIN + 36 }, (_, n) => delivery.deliver(eventOf('many', n + 1))));
      assert.ok(outcomes.every((o) => o.ok));
      assert.ok(sink.connections <= DEFAULT_CONNECTIONS_PER_ORIGIN, `${sink.connections} sockets opened`);
      assert.ok(sink.peak() <= DEFAULT_CONNECTIONS_PER_ORIGIN);
      await pools.close();
    } finally {
      await sink.stop();
    }
  });

  it('refuses a bound that is not a positive integer', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) assert.throws(() => createDispatcher({ connectionsPerOrigin: bad }), RangeError);
  });
});
