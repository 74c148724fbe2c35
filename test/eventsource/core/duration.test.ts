import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { formatDuration, parseDuration } from '../../../src/eventsource/core/duration.js';
import { EventSourceError } from '../../../src/eventsource/core/errors.js';
import { fuzzParameters } from '../../support/fuzz.js';

describe('parseDuration', () => {
  const valid: Array<[string, number]> = [
    ['500ms', 500],
    ['10s', 10_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1d', 86_400_000],
    ['1m30s', 90_000],
    ['1h2m3s4ms', 3_723_004],
    ['1.5s', 1_500],
    ['10S', 10_000],
    [' 10s ', 10_000],
    ['PT10S', 10_000],
    ['PT0.2S', 200],
    ['PT0,5S', 500],
    ['PT1H30M', 5_400_000],
    ['PT1M', 60_000],
    ['P1D', 86_400_000],
    ['P1DT2H', 93_600_000],
    ['P2W', 1_209_600_000],
    ['pt10s', 10_000],
  ];
  for (const [text, ms] of valid) {
    it(`parses ${JSON.stringify(text)} as ${ms} ms`, () => {
      assert.equal(parseDuration(text), ms);
    });
  }

  const invalid: Array<[string, RegExp]> = [
    ['', /empty/],
    ['0s', /zero/],
    ['PT0S', /zero/],
    ['-5s', /negative/],
    ['10', /no unit/],
    ['abc', /not a duration/],
    ['10x', /not a duration/],
    ['P', /not an ISO-8601 duration/],
    ['PT', /not an ISO-8601 duration/],
    ['P1M', /months are not supported/],
    ['P1Y', /years and months/],
    ['PT0.0001S', /whole number of milliseconds/],
    ['0.5ms', /whole number of milliseconds/],
    ['99999999999999999d', /too large/],
  ];
  for (const [text, why] of invalid) {
    it(`refuses ${JSON.stringify(text)}`, () => {
      assert.throws(
        () => parseDuration(text),
        (error: unknown) => error instanceof EventSourceError && error.code === 'DURATION_INVALID' && why.test(error.message),
      );
    });
  }

  it('accepts zero only when asked to', () => {
    assert.equal(parseDuration('0', { allowZero: true }), 0);
    assert.equal(parseDuration('0s', { allowZero: true }), 0);
    assert.equal(parseDuration('PT0S', { allowZero: true }), 0);
    assert.throws(() => parseDuration('0'), EventSourceError);
  });
});

describe('formatDuration', () => {
  it('renders compactly and round-trips through parseDuration', () => {
    for (const ms of [1, 250, 1_000, 1_500, 60_000, 90_000, 3_600_000, 86_400_000, 90_061_001]) {
      assert.equal(parseDuration(formatDuration(ms)), ms, formatDuration(ms));
    }
    assert.equal(formatDuration(90_000), '1m30s');
    assert.equal(formatDuration(250), '250ms');
  });
});

describe('durations: properties', () => {
  /** d, h, m, s, ms parts of a duration, written as `1d2h3m4s5ms` with the zero parts left out. */
  const parts = fc.record({ d: fc.nat({ max: 400 }), h: fc.nat({ max: 23 }), m: fc.nat({ max: 59 }), s: fc.nat({ max: 59 }), ms: fc.nat({ max: 999 }) });

  it('every way of writing a duration reads as the same milliseconds, and formatDuration round-trips', () => {
    fc.assert(
      fc.property(parts, fc.boolean(), ({ d, h, m, s, ms }, upper) => {
        const total = (((d * 24 + h) * 60 + m) * 60 + s) * 1_000 + ms;
        fc.pre(total > 0);
        const short = [[d, 'd'], [h, 'h'], [m, 'm'], [s, 's'], [ms, 'ms']].filter(([n]) => n !== 0).map(([n, u]) => `${n}${u}`).join('');
        const seconds = (s * 1_000 + ms) / 1_000;
        const iso = `P${d > 0 ? `${d}D` : ''}T${h}H${m}M${seconds}S`;
        assert.equal(parseDuration(upper ? short.toUpperCase() : short), total, short);
        assert.equal(parseDuration(iso), total, iso);
        assert.equal(parseDuration(`${total}ms`), total);
        assert.equal(parseDuration(formatDuration(total)), total, formatDuration(total));
      }),
      fuzzParameters({ numRuns: 500 }, 'durations'),
    );
  });
});
