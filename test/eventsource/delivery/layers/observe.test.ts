import assert from 'node:assert/strict';
import { test } from 'node:test';
import { register } from 'prom-client';
import { observeLayer } from '../../../../src/eventsource/delivery/layers/observe.js';
import { eventSourceMetrics } from '../../../../src/eventsource/observability/metrics.js';
import { captureLogger } from '../../../host/capture-logger.js';
import { answering, attemptOf } from './support.js';

const metrics = eventSourceMetrics();

async function attempts(status: string): Promise<number> {
  const metric = await register.getSingleMetric('eventsource_delivery_attempts_total')?.get();
  return metric?.values.find((v) => v.labels['schedule'] === 'nightly' && v.labels['status'] === status)?.value ?? 0;
}

test('observe: a delivered attempt is counted with its status and logged with its duration and whether a token went', async () => {
  const { logger, lines } = captureLogger();
  const before = await attempts('202');
  const outcome = await observeLayer(logger, metrics)(answering({ ok: true, status: 202, durationMs: 7 }))(attemptOf({ headers: { authorization: 'Bearer secret' } }));
  assert.equal(outcome.ok, true);
  assert.equal(await attempts('202'), before + 1);
  const line = lines.find((l) => l.msg === 'event delivered');
  assert.equal(line?.['status'], 202);
  assert.equal(line?.['durationMs'], 7);
  assert.equal(line?.['oidc'], true);
  assert.ok(!JSON.stringify(lines).includes('secret'), 'the token never reaches a log line');
});

test('observe: a failed attempt is counted (no response: status "error") and logged with its reason', async () => {
  const { logger, lines } = captureLogger();
  const before = await attempts('error');
  await observeLayer(logger, metrics)(answering({ ok: false, reason: 'connection refused', retryable: true, durationMs: 1 }))(attemptOf());
  assert.equal(await attempts('error'), before + 1);
  const line = lines.find((l) => l.msg === 'event delivery failed');
  assert.equal(line?.['reason'], 'connection refused');
  assert.equal(line?.['oidc'], false);
});
