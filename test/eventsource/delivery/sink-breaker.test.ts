/**
 * The per-origin sink breaker (pure, on an injected clock): when an origin counts as down, the one probe per
 * interval while it is, the way back up, and the down time it reports.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { FAILURES_TO_OPEN, signalOf, SinkBreaker } from '../../../src/eventsource/delivery/sink-breaker.js';
import { fuzzParameters } from '../../support/fuzz.js';

const A = 'http://127.0.0.1:8080';
const B = 'http://127.0.0.1:9090';

/** Marks `origin` down at `now` with FAILURES_TO_OPEN failures. */
function downAt(breaker: SinkBreaker, origin: string, now: number): void {
  for (let i = 0; i < FAILURES_TO_OPEN; i++) breaker.record(origin, 'down', now, 'HTTP 503');
}

describe('signalOf', () => {
  it('a 2xx is up; no answer and 502/503/504 are down; other statuses (500 too) say nothing of the sink', () => {
    assert.equal(signalOf({ ok: true, status: 200 }), 'up');
    assert.equal(signalOf({ ok: false }), 'down');
    for (const status of [502, 503, 504]) assert.equal(signalOf({ ok: false, status }), 'down', String(status));
    for (const status of [400, 404, 409, 413, 429, 500, 501]) assert.equal(signalOf({ ok: false, status }), 'neutral', String(status));
  });
});

describe('SinkBreaker', () => {
  it('an origin goes down after FAILURES_TO_OPEN sink-down failures in a row, and a success in between resets the count', () => {
    const breaker = new SinkBreaker(1_000);
    for (let i = 0; i < FAILURES_TO_OPEN - 1; i++) assert.equal(breaker.record(A, 'down', 10, 'HTTP 503'), undefined);
    breaker.record(A, 'up', 11);
    for (let i = 0; i < FAILURES_TO_OPEN - 1; i++) breaker.record(A, 'down', 12, 'HTTP 503');
    breaker.record(A, 'neutral', 12);
    assert.deepEqual(breaker.admit(A, 13), { send: true, probe: false }, 'neutral answers neither open nor reset');
    assert.deepEqual(breaker.record(A, 'down', 14, 'connection refused (ECONNREFUSED)'), { kind: 'down', origin: A, reason: 'connection refused (ECONNREFUSED)' });
    assert.deepEqual(breaker.down(), [{ origin: A, since: 14, lastReason: 'connection refused (ECONNREFUSED)' }]);
  });

  it('while down: one probe per interval, every other attempt answered at once; origins are independent', () => {
    const breaker = new SinkBreaker(1_000);
    downAt(breaker, A, 0);
    assert.deepEqual(breaker.admit(A, 500), { send: false, since: 0, lastReason: 'HTTP 503' });
    assert.deepEqual(breaker.admit(B, 500), { send: true, probe: false });
    assert.deepEqual(breaker.admit(A, 1_000), { send: true, probe: true });
    assert.equal(breaker.admit(A, 1_001).send, false, 'the next probe waits a whole interval');
    assert.equal(breaker.admit(A, 1_999).send, false);
    breaker.record(A, 'down', 2_000, 'HTTP 502');
    assert.deepEqual(breaker.admit(A, 2_000), { send: true, probe: true });
    assert.deepEqual(breaker.admit(A, 2_500), { send: false, since: 0, lastReason: 'HTTP 502' });
  });

  it('an attempt that may not probe is answered at once while down, leaves the due probe to another, and goes out once up', () => {
    const breaker = new SinkBreaker(1_000);
    downAt(breaker, A, 0);
    assert.deepEqual(breaker.admit(A, 1_500, false), { send: false, since: 0, lastReason: 'HTTP 503' });
    assert.deepEqual(breaker.admit(A, 1_500), { send: true, probe: true }, 'the probe was still due');
    breaker.record(A, 'up', 1_600);
    assert.deepEqual(breaker.admit(A, 1_700, false), { send: true, probe: false });
  });

  it('the first success makes it up again, says how long it was down, and lets every attempt through', () => {
    const breaker = new SinkBreaker(1_000);
    downAt(breaker, A, 5_000);
    assert.deepEqual(breaker.record(A, 'up', 12_500), { kind: 'up', origin: A, downMs: 7_500 });
    assert.deepEqual(breaker.down(), []);
    assert.deepEqual(breaker.admit(A, 12_501), { send: true, probe: false });
    assert.equal(breaker.record(A, 'up', 12_502), undefined, 'no transition when it was up');
  });

  it('the down time grows while down and adds up over outages', () => {
    const breaker = new SinkBreaker(1_000);
    breaker.record(B, 'up', 0);
    downAt(breaker, A, 1_000);
    assert.deepEqual(breaker.downTotals(4_000), [{ origin: B, up: true, downMs: 0 }, { origin: A, up: false, downMs: 3_000 }]);
    breaker.record(A, 'up', 6_000);
    downAt(breaker, A, 10_000);
    assert.deepEqual(breaker.downTotals(10_250).find((t) => t.origin === A), { origin: A, up: false, downMs: 5_250 });
  });

  it('refuses a probe interval that is not a positive integer', () => {
    assert.throws(() => new SinkBreaker(0), /probeIntervalMs must be a positive integer/);
    assert.throws(() => new SinkBreaker(1.5), /probeIntervalMs/);
  });

  it('never more than one real POST per interval to a down origin, and never none for a whole interval once attempts come (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 5_000 }), fc.array(fc.integer({ min: 0, max: 2_000 }), { minLength: 1, maxLength: 200 }), (interval, gaps) => {
        const breaker = new SinkBreaker(interval);
        downAt(breaker, A, 0);
        let now = 0;
        let lastProbe = -Infinity;
        for (const gap of gaps) {
          now += gap;
          const admission = breaker.admit(A, now);
          if (admission.send) {
            assert.ok(now - lastProbe >= interval || lastProbe === -Infinity, `probe at ${now} only ${now - lastProbe} ms after the last`);
            assert.ok(admission.probe);
            lastProbe = now;
            breaker.record(A, 'down', now, 'HTTP 503');
          } else {
            // An attempt that finds the interval over is the probe: none is held back longer than one interval.
            assert.ok(now < Math.max(lastProbe, 0) + interval, `attempt at ${now} held back although the last probe was at ${lastProbe}`);
          }
        }
      }),
      fuzzParameters({ numRuns: 200 }, 'breaker probes'),
    );
  });
});
