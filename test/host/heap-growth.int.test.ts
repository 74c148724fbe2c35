import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { HEAP_GROWING_PERCENT, limitHeapGrowth } from '../../src/host/heap-growth.js';

const HEAP_GROWTH = path.resolve(__dirname, '../../src/host/heap-growth.js');

/**
 * A process that holds 10,000 entries of about 2 KB and keeps replacing them (as the owner's instance cache does with
 * every commit, so the old copies die in the old generation), with or without the host's limit, on this machine
 * without a memory limit: the largest heap it reached, in MB.
 */
async function peakHeapMb(limited: boolean): Promise<number> {
  const script = `
    if (${limited}) require(${JSON.stringify(HEAP_GROWTH)}).limitHeapGrowth();
    const entries = new Map();
    const entry = (i, r) => ({ text: 'x'.repeat(2000) + i + '.' + r, parts: [1, 2, 3].map((n) => ({ n, s: String(n * r) })) });
    let peak = 0;
    for (let r = 0; r < 120000; r++) {
      entries.set(r % 10000, JSON.parse(JSON.stringify(entry(r % 10000, r))));
      if (r % 500 === 0) peak = Math.max(peak, process.memoryUsage().heapTotal);
    }
    console.log(Math.round(peak / 2 ** 20));`;
  const { stdout } = await promisify(execFile)(process.execPath, ['-e', script], { timeout: 120_000 });
  return Number(stdout.trim());
}

test('heap growth: a process that churns a cache of ~25 MB stays well below the heap V8 grows to unlimited', async (t) => {
  const unlimited = await peakHeapMb(false);
  const limited = await peakHeapMb(true);
  t.diagnostic(`peak heap: ${unlimited} MB unlimited, ${limited} MB limited`);
  // Live data ~25 MB: V8's own choice on a big machine grows the heap to several times that; the host's cap
  // measured 111 MB against 167 MB at 2×.
  assert.ok(limited <= unlimited * 0.8, `limited ${limited} MB vs unlimited ${unlimited} MB`);
});

test('heap growth: a growth given to node wins (nothing applied)', () => {
  assert.equal(limitHeapGrowth(['--heap-growing-percent=50']), false);
  assert.equal(limitHeapGrowth(['--heap_growing_percent=50']), false);
  assert.equal(limitHeapGrowth([]), true);
  assert.equal(HEAP_GROWING_PERCENT, 50);
});
