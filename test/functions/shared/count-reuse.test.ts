/** The schedules gauge's count is reused for a time that grows with what it cost, so counting stays a tenth of the time. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { COUNT_TTL_MS, countReuseMs } from '../../../src/functions/shared/count-reuse.js';
import { fuzzParameters } from '../../support/fuzz.js';

test('a count is reused for at least 5 s, and at least ten times as long as it took', () => {
  fc.assert(
    fc.property(fc.integer({ min: -1_000, max: 3_600_000 }), (tookMs) => {
      const reuse = countReuseMs(tookMs);
      assert.ok(reuse >= COUNT_TTL_MS, `${reuse} ms for a count of ${tookMs} ms`);
      assert.ok(reuse >= 10 * tookMs, `${reuse} ms for a count of ${tookMs} ms`);
      assert.ok(tookMs <= 0 || tookMs / (tookMs + reuse) <= 1 / 11 + 1e-9, 'counting takes at most a tenth of the time between counts');
    }),
    fuzzParameters({ numRuns: 200 }, 'count reuse'),
  );
});

test('a quick count (10,000 schedules) is reused for the 5 s it always was; a 4 s one (100,000 on Azurite) for 40 s', () => {
  assert.equal(countReuseMs(120), 5_000);
  assert.equal(countReuseMs(4_000), 40_000);
});
