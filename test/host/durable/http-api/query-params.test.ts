/**
 * restartWithNewInstanceId is read as .NET's bool.TryParse reads it (the extension's TryGetBooleanQueryParameterValue):
 * "true"/"false" in any letter case with white space around (and NULs after) it; anything else is "not a boolean",
 * which makes restart take its default (a new id). Property-based: FUZZ_RUNS / FUZZ_SEED as everywhere.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { dotnetBoolean } from '../../../../src/host/durable/http-api/query-params.js';
import { fuzzParameters } from '../../../support/fuzz.js';

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
