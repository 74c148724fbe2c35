/**
 * The environment's single schedule goes through the one schedule definition schema: the spec it yields, and a
 * problem only the schema finds named by its variable.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../src/eventsource/config/config.js';
import { ConfigError } from '../../../src/eventsource/core/errors.js';
import { describeSpec } from '../../../src/eventsource/core/normalized-spec.js';

const SINK = 'http://127.0.0.1:9/';

describe('the environment schedule as a definition', () => {
  it('defaults: SCHEDULE_NAME "default", every 10s, today\'s event and delivery settings', () => {
    const { scheduleSpec } = loadConfig({ K_SINK: SINK });
    assert.deepEqual(scheduleSpec, {
      name: 'default',
      trigger: { kind: 'every', everyMs: 10_000, offsetMs: 0 },
      jitterMs: 0,
      paused: false,
      event: { type: 'com.hello.cron-event', source: 'urn:hello-com:cron-source', extensions: {}, mode: 'binary' },
      catchUp: { windowMs: 60_000, policy: 'all' },
      overlap: 'bufferAll',
      delivery: { retry: 4, backoffPolicy: 'exponential', backoffDelayMs: 1_000, maxBackoffMs: 30_000, timeoutMs: 10_000 },
    });
    assert.equal(scheduleSpec.sink, undefined, 'the env schedule posts to K_SINK, the default sink');
  });

  it('maps every variable onto its field', () => {
    const { scheduleSpec } = loadConfig({
      K_SINK: SINK,
      SCHEDULE: '0 30 2 * * *',
      SCHEDULE_TIMEZONE: 'europe/berlin',
      SCHEDULE_NAME: 'nightly',
      CE_TYPE: 'com.example.t',
      CE_SOURCE: '/s',
      CE_MODE: 'structured',
      K_CE_OVERRIDES: '{"extensions":{"team":"a"}}',
      DELIVERY_TIMEOUT: '3s',
      DELIVERY_RETRY: '1',
      DELIVERY_BACKOFF_POLICY: 'linear',
      DELIVERY_BACKOFF_DELAY: '500ms',
      DELIVERY_MAX_BACKOFF: '1m30s',
      CATCH_UP_WINDOW: '0s',
    });
    assert.deepEqual(describeSpec(scheduleSpec), {
      name: 'nightly',
      cron: '0 30 2 * * *',
      timezone: 'Europe/Berlin',
      jitter: '0ms',
      paused: false,
      event: { type: 'com.example.t', source: '/s', contentType: 'application/json', extensions: { team: 'a' }, mode: 'structured' },
      catchUp: { window: '0ms', policy: 'all' },
      overlap: 'bufferAll',
      delivery: { retry: 0, backoffPolicy: 'linear', backoffDelay: '500ms', maxBackoff: '1m30s', timeout: '3s' },
    });
  });

  it('reads the legacy DurationInSeconds and ISO intervals', () => {
    assert.deepEqual(loadConfig({ K_SINK: SINK, DurationInSeconds: '1.5' }).scheduleSpec.trigger, { kind: 'every', everyMs: 1_500, offsetMs: 0 });
    assert.deepEqual(loadConfig({ K_SINK: SINK, SCHEDULE: 'PT0.2S', MIN_INTERVAL: '100ms' }).scheduleSpec.trigger, { kind: 'every', everyMs: 200, offsetMs: 0 });
  });

  it('a value only the definition schema refuses is a ConfigError naming its variable', () => {
    const cases: Array<[Record<string, string>, string, RegExp]> = [
      [{ CE_TYPE: 'x'.repeat(1_025) }, 'CE_TYPE', /^CE_TYPE: is 1025 characters long; at most 1024$/],
      [{ K_CE_OVERRIDES: '{"extensions":{"trigger":"cron"}}' }, 'K_CE_OVERRIDES', /^K_CE_OVERRIDES: extension "trigger" is set by this event source/],
    ];
    for (const [env, variable, message] of cases) {
      assert.throws(() => loadConfig({ K_SINK: SINK, ...env }), (error: unknown) =>
        error instanceof ConfigError && error.variable === variable && message.test(error.message));
    }
  });
});
