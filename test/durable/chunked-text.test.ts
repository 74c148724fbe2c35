/** Large text spread over numbered properties: property-based (fast-check; FUZZ_RUNS for a longer run). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { getText, putText, splitText, type EntityProps } from '../../src/durable/chunked-text.js';

const runs = Number(process.env.FUZZ_RUNS ?? 200);

/** Text rich in surrogate pairs (emoji), lone halves and plain characters. */
const text = fc
  .array(fc.oneof(fc.constantFrom('a', 'é', '😀', '𝄞', '\ud800', '\udfff', '"'), fc.string({ maxLength: 3 })), { maxLength: 400 })
  .map((parts) => parts.join(''));

test('putText/getText round-trip any text, and no property starts or ends inside a surrogate pair it split', () => {
  fc.assert(
    fc.property(text, fc.integer({ min: 2, max: 40 }), (value, size) => {
      const parts = splitText(value, size);
      assert.equal(parts.join(''), value);
      for (let i = 0; i < parts.length; i++) {
        const part = parts[i] ?? '';
        assert.ok(part.length <= size);
        const next = parts[i + 1];
        const last = part.charCodeAt(part.length - 1);
        const first = next?.charCodeAt(0) ?? 0;
        assert.ok(!(last >= 0xd800 && last <= 0xdbff && first >= 0xdc00 && first <= 0xdfff), `pair split after part ${i}`);
      }
    }),
    { numRuns: runs },
  );
  fc.assert(
    fc.property(text, (value) => {
      const entity: EntityProps = {};
      putText(entity, 'Input', value.repeat(200));
      assert.equal(getText(entity, 'Input'), value.repeat(200));
    }),
    { numRuns: Math.max(20, Math.floor(runs / 10)) },
  );
});

test('an emoji across the 30,000-unit property boundary stays whole', () => {
  const value = `${'a'.repeat(29_999)}😀${'b'.repeat(10)}`;
  const entity: EntityProps = {};
  putText(entity, 'Input', value);
  assert.equal((entity.Input as string).length, 29_999);
  assert.equal((entity.Input__1 as string).startsWith('😀'), true);
  assert.equal(getText(entity, 'Input'), value);
});
