/**
 * The test suite's exposition reader against what prom-client writes: any label value (quotes, backslashes, new
 * lines, any Unicode) and any observations come back as written, and a line outside the format is refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Counter, Histogram, Registry } from 'prom-client';
import { fuzzParameters } from './fuzz.js';
import { histogramCount, parsePrometheus, sampleValue } from './prometheus-text.js';

test('counters and labelled histograms written by prom-client read back exactly', async () => {
  const observation = fc.double({ min: 0, max: 100, noNaN: true });
  const series = fc.uniqueArray(fc.record({ label: fc.string({ unit: 'binary', maxLength: 12 }), values: fc.array(observation, { maxLength: 8 }) }), {
    selector: (s) => s.label,
    maxLength: 5,
  });
  await fc.assert(
    fc.asyncProperty(series, async (all) => {
      const registry = new Registry();
      const counter = new Counter({ name: 'c_total', help: 'a "help" with \\ and\nline', labelNames: ['schedule'], registers: [registry] });
      const histogram = new Histogram({ name: 'h_seconds', help: 'h', labelNames: ['schedule'], buckets: [0.5, 5, 50], registers: [registry] });
      for (const { label, values } of all) {
        counter.inc({ schedule: label }, values.length + 1);
        for (const v of values) histogram.observe({ schedule: label }, v);
      }
      const families = parsePrometheus(await registry.metrics());
      assert.equal(families.get('c_total')?.help, 'a "help" with \\ and\nline');
      for (const { label, values } of all) {
        assert.equal(sampleValue(families, 'c_total', { schedule: label }), values.length + 1);
        if (values.length === 0) continue;
        assert.equal(histogramCount(families, 'h_seconds', { schedule: label }), values.length);
        const buckets = families.get('h_seconds')?.series.find((s) => s.labels.schedule === label)?.buckets;
        assert.equal(buckets?.get(0.5), values.filter((v) => v <= 0.5).length);
        assert.equal(buckets?.get(Infinity), values.length);
      }
    }),
    fuzzParameters({ numRuns: 100 }, 'prometheus text reader'),
  );
});

test('lines outside the format are refused, not read loosely', () => {
  assert.throws(() => parsePrometheus('metric{a="1" 3\n'), /not a sample line|bad labels/);
  assert.throws(() => parsePrometheus('metric{a=1} 3\n'), /bad labels/);
  assert.throws(() => parsePrometheus('metric 3x\n'), /bad value/);
  assert.throws(() => parsePrometheus('# TYPE m histogrm\n'), /bad TYPE/);
  assert.throws(
    () => parsePrometheus('# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_count 1\nh_sum 1\n'),
    /not cumulative/,
  );
});
