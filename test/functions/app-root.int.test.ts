/**
 * The composition root builds the app's services from the environment it is given, without reading or writing
 * process.env; a bad value is one ConfigError naming the variable; the delivery pipeline it assembles posts a tick to
 * a real loopback sink.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { composeApp } from '../../src/functions/app-root.js';
import { ConfigError } from '../../src/eventsource/core/errors.js';
import { RecordingSink } from '../support/recording-sink.js';

let sink: RecordingSink;
before(async () => {
  sink = await RecordingSink.answering();
});
after(() => sink.stop());

const base = { LOG_LEVEL: 'silent', K_CA_CERTS_DIR: '/nonexistent/certs', AzureWebJobsStorage: 'UseDevelopmentStorage=true' };

test('composeApp: services from the given environment; process.env neither read for them nor written', async () => {
  const envBefore = { ...process.env };
  const terminating: Array<() => Promise<void>> = [];
  const services = composeApp({ ...base, K_SINK: sink.at('/in').href, SCHEDULE: '1h' }, (flush) => terminating.push(flush));
  assert.deepEqual({ ...process.env }, envBefore);
  assert.equal(process.env['K_SINK'], undefined, 'the test runs without K_SINK');
  assert.equal(services.config.sink.href, sink.at('/in').href);
  assert.deepEqual(services.config.scheduleSpec.trigger, { kind: 'every', everyMs: 3_600_000, offsetMs: 0 });
  assert.equal(services.originKey.length, 32);
  assert.equal(terminating.length, 0, 'nothing to flush without an OTLP endpoint');

  const result = await services.deliverTick({ scheduleName: 'default', generation: '2030-01-01T00:00:00.000Z', sequence: 1, scheduledTime: '2030-01-01T00:00:10.000Z' });
  assert.deepEqual(result, { ok: true, status: 200 });
  assert.equal(sink.requests[0]?.url, '/in');
  assert.equal(sink.requests[0]?.headers['ce-type'], 'com.hello.cron-event');
  assert.match(String(sink.requests[0]?.headers['traceparent']), /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
});

test('composeApp: a bad value is one ConfigError naming the variable', () => {
  assert.throws(() => composeApp({ ...base, K_SINK: 'not a url' }, () => undefined), (error: unknown) => error instanceof ConfigError && /^K_SINK: /.test(error.message));
  assert.throws(() => composeApp({ ...base, K_SINK: sink.at().href, DELIVERY_RETRY: '0' }, () => undefined), { name: 'ConfigError', message: /^DELIVERY_RETRY: / });
});
