/** How many instances a new owner preloads: what fits in half the heap V8 may use. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { preloadLimit } from '../../../src/durable/runtime/recovery-scan.js';

const MB = 2 ** 20;

test('a heap without a container limit (4 GB) preloads a hub of 100,000 instances', () => {
  assert.ok(preloadLimit(4_144 * MB) >= 100_000, String(preloadLimit(4_144 * MB)));
});

test('the heap Node gives a 512 Mi pod (~300 MB) preloads 10,000 instances but not 100,000', () => {
  const limit = preloadLimit(304 * MB);
  assert.ok(limit >= 10_000 && limit < 100_000, String(limit));
});

test('without an argument the limit follows this process heap', () => {
  assert.ok(preloadLimit() > 0);
});
