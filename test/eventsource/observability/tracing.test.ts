/**
 * The tracing settings read from the environment: when spans are exported, and the standard OTEL_BSP_* numbers
 * (read by the app, the SDK does not), which come from outside: any text either gives a whole number in range or is
 * ignored, never an exception or a value the SDK refuses.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { batchOptions, envInteger, otlpExportConfigured } from '../../../src/eventsource/observability/tracing.js';
import { fuzzParameters } from '../../support/fuzz.js';

test('spans are exported only when an OTLP endpoint is set (the generic one or the traces one)', () => {
  assert.equal(otlpExportConfigured({}), false);
  assert.equal(otlpExportConfigured({ OTEL_EXPORTER_OTLP_ENDPOINT: '  ' }), false, 'blank is unset');
  assert.equal(otlpExportConfigured({ OTEL_SERVICE_NAME: 'x', OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://c:4318' }), false);
  assert.equal(otlpExportConfigured({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }), true);
  assert.equal(otlpExportConfigured({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' }), true);
});

test('OTEL_BSP_*: whole numbers are taken, anything else is ignored', () => {
  assert.deepEqual(batchOptions({ OTEL_BSP_SCHEDULE_DELAY: '200', OTEL_BSP_EXPORT_TIMEOUT: ' 1000 ' }), { scheduledDelayMillis: 200, exportTimeoutMillis: 1000 });
  assert.deepEqual(batchOptions({ OTEL_BSP_SCHEDULE_DELAY: '2s', OTEL_BSP_EXPORT_TIMEOUT: '0', OTEL_BSP_MAX_QUEUE_SIZE: '-1' }), {});
  assert.deepEqual(batchOptions({ OTEL_BSP_MAX_QUEUE_SIZE: '100', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '512' }), { maxQueueSize: 100, maxExportBatchSize: 100 });
  assert.deepEqual(batchOptions({ OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '5000' }), { maxExportBatchSize: 2048 }, 'not above the default queue');
});

test('property: any OTEL_BSP_* text gives whole numbers in range, or nothing; a batch never exceeds the queue', () => {
  const text = fc.oneof(
    fc.string(),
    fc.integer({ min: -10, max: 1e9 }).map(String),
    fc.constantFrom('', ' ', '1e3', '0x10', '12.5', '٣', '１０', '9'.repeat(40), 'NaN', 'Infinity', '+5', '5\n'),
  );
  fc.assert(
    fc.property(text, text, text, text, (delay, timeout, queue, batch) => {
      const options = batchOptions({ OTEL_BSP_SCHEDULE_DELAY: delay, OTEL_BSP_EXPORT_TIMEOUT: timeout, OTEL_BSP_MAX_QUEUE_SIZE: queue, OTEL_BSP_MAX_EXPORT_BATCH_SIZE: batch });
      for (const value of Object.values(options)) assert.ok(Number.isSafeInteger(value) && value >= 0, String(value));
      if (options.scheduledDelayMillis !== undefined) assert.equal(options.scheduledDelayMillis, Number(delay.trim()));
      if (options.exportTimeoutMillis !== undefined) assert.ok(options.exportTimeoutMillis >= 1);
      if (options.maxExportBatchSize !== undefined) assert.ok(options.maxExportBatchSize <= (options.maxQueueSize ?? 2048));
      assert.equal(envInteger(delay, 0) === undefined, options.scheduledDelayMillis === undefined);
    }),
    fuzzParameters({ numRuns: 300 }, 'OTEL_BSP_*'),
  );
});
