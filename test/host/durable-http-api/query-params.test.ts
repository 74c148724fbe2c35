/**
 * Query values of the read-only routes are read as the extension reads them (TryParse, a value that does not parse is
 * ignored): restartWithNewInstanceId and the show* flags as .NET's bool.TryParse ("true"/"false" in any letter case,
 * white space around, NULs after), top, dates, runtime statuses, seconds. Property-based: FUZZ_RUNS / FUZZ_SEED.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  dotnetBoolean,
  lenientBooleanParam,
  lenientDateParam,
  lenientPositiveIntParam,
  lenientRuntimeStatusParam,
  lenientSecondsParam,
  RUNTIME_STATUSES,
} from '../../../src/host/durable-http-api/query-params.js';
import { fuzzParameters } from '../../support/fuzz.js';

const whitespace = fc.string({ unit: fc.constantFrom(' ', '\t', '\n', '\r', '\u00a0', '\u2003'), maxLength: 4 });
const anyCase = (word: string): fc.Arbitrary<string> =>
  fc.array(fc.boolean(), { minLength: word.length, maxLength: word.length }).map((upper) => [...word].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join(''));

test('true and false in any letter case, padded with white space and trailing NULs, are read as booleans', () => {
  const cased = fc.boolean().chain((value) => fc.tuple(fc.constant(value), anyCase(String(value))));
  fc.assert(
    fc.property(cased, whitespace, whitespace, fc.nat({ max: 3 }), ([value, word], lead, trail, nuls) => {
      assert.equal(dotnetBoolean(`${lead}${word}${trail}${'\u0000'.repeat(nuls)}`), value);
    }),
    fuzzParameters({ numRuns: 300 }, 'dotnetBoolean accepts'),
  );
});

test('anything that is not true/false once trimmed is not a boolean (restart then takes its default)', () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 12 }), (raw) => {
      fc.pre(!/^\s*(true|false)\s*\u0000*$/i.test(raw));
      assert.equal(dotnetBoolean(raw), undefined);
    }),
    fuzzParameters({ numRuns: 500 }, 'dotnetBoolean refuses'),
  );
  for (const raw of ['', '1', '0', 'yes', 'no', 'tru', 'true!', 't rue', '"true"', 'null']) assert.equal(dotnetBoolean(raw), undefined, raw);
});

const anyText = fc.oneof(fc.string({ maxLength: 30 }), fc.string({ unit: 'binary', maxLength: 30 }));
const query = (name: string, value: string): URLSearchParams => new URLSearchParams([[name, value]]);

test('the read-only routes\' readers never refuse a value: what parses is used, the rest is the default', () => {
  fc.assert(
    fc.property(anyText, fc.boolean(), (raw, fallback) => {
      assert.equal(lenientBooleanParam(query('showHistory', raw), 'showHistory', fallback), dotnetBoolean(raw) ?? fallback);
      const top = lenientPositiveIntParam(query('top', raw), 'top');
      assert.ok(top === undefined || (Number.isInteger(top) && top >= 1 && top <= 2_147_483_647), String(top));
      const date = lenientDateParam(query('createdTimeFrom', raw), 'createdTimeFrom');
      assert.ok(date === undefined || (date.getTime() >= Date.UTC(1601, 0, 1) && date.getTime() <= Date.UTC(9999, 11, 31, 23, 59, 59, 999)));
      const seconds = lenientSecondsParam(query('timeout', raw), 'timeout');
      assert.ok(seconds === undefined || (Number.isFinite(seconds) && seconds >= 0), String(seconds));
      const statuses = lenientRuntimeStatusParam(query('runtimeStatus', raw), 'runtimeStatus') ?? [];
      assert.ok(statuses.every((s) => RUNTIME_STATUSES.includes(s)) && new Set(statuses).size === statuses.length);
    }),
    fuzzParameters({ numRuns: 500 }, 'lenient readers'),
  );
});

test('values that parse are read: integers, seconds, ISO dates, status lists in any case and order', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 2_147_483_647 }),
      fc.double({ min: 0, max: 1e6, noNaN: true }),
      fc.date({ min: new Date(Date.UTC(1601, 0, 1)), max: new Date(Date.UTC(9999, 11, 31)), noInvalidDate: true }),
      fc.subarray([...RUNTIME_STATUSES], { minLength: 1 }),
      whitespace,
      (top, seconds, date, statuses, pad) => {
        assert.equal(lenientPositiveIntParam(query('top', `${pad}${top}${pad}`), 'top'), top);
        assert.equal(lenientSecondsParam(query('timeout', String(seconds)), 'timeout'), seconds);
        assert.equal(lenientDateParam(query('createdTimeTo', date.toISOString()), 'createdTimeTo')?.getTime(), date.getTime());
        const raw = statuses.map((s, i) => (i % 2 === 0 ? s.toLowerCase() : ` ${s.toUpperCase()}`)).join(',');
        assert.deepEqual(lenientRuntimeStatusParam(query('runtimeStatus', `Sleeping,${raw}`), 'runtimeStatus'), statuses);
      },
    ),
    fuzzParameters({ numRuns: 300 }, 'lenient readers accept'),
  );
});
