/**
 * Property-based (fast-check) runs over every configuration variable: whatever an operator (or a careless
 * manifest) puts there, start-up either accepts it or stops with one ConfigError line naming that variable, never
 * another exception, and never echoes a sink credential. A configuration that loads also builds its delivery (the
 * first thing the app does with it).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { loadConfig } from '../../../src/eventsource/config/config.js';
import { createDelivery } from '../../../src/eventsource/delivery/deliver.js';
import { ConfigError } from '../../../src/eventsource/core/errors.js';
import { fuzzParameters } from '../../support/fuzz.js';

const SINK = 'http://127.0.0.1:9/';

const odd = fc.constantFrom(
  '', ' ', '\t\n', '%', '%zz', '%E0%A4%A', '0', '-1', '+5', '1e309', 'NaN', 'Infinity', '9'.repeat(400), '__proto__',
  'constructor', '{}', '[]', 'null', 'true', '\u0000', '\uFEFF10s', '10s\n', '٣s', '１０s', '10 s', 'PT', 'P1M', 'P1Y',
  '@hourly', '@reboot', '* * * * * * *', '0 0 30 2 *', '60 * * * * *', '*/0 * * * *', 'L W # ?',
);
const text = fc.oneof(fc.string(), fc.string({ unit: 'binary', maxLength: 40 }), odd);
const duration = fc
  .tuple(fc.oneof(fc.nat({ max: 100_000 }), fc.double({ min: -10, max: 1e6, noNaN: true })), fc.constantFrom('ms', 's', 'm', 'h', 'd', '', 'x', 'S', 'MS'))
  .map(([n, unit]) => `${n}${unit}`);
const isoDuration = fc
  .tuple(fc.nat({ max: 1000 }), fc.constantFrom('PT%S', 'PT%M', 'PT%H', 'P%D', 'PT%.5S', 'P%W', 'PT%M%S', 'P%DT%H'))
  .map(([n, shape]) => shape.replaceAll('%', String(n)));
const cronField = fc.constantFrom('*', '0', '5', '59', '23', '*/5', '1-5', '5-1', 'MON', 'JAN', 'L', '#', '?', '60', '*/0', '1,2', 'W', '-1', '31', '2');
const cron = fc.array(cronField, { minLength: 1, maxLength: 7 }).map((fields) => fields.join(' '));
const zone = fc.oneof(fc.constantFrom(...Intl.supportedValuesOf('timeZone'), 'utc', 'Etc/GMT+5', 'Mars/Olympus', 'UTC+1', '+01:00'), text);
const url = fc.oneof(
  fc.webUrl({ withQueryParameters: true, withFragments: true }),
  fc.tuple(fc.constantFrom('http://', 'https://', 'ftp://', 'file://', 'javascript:', '', 'http:/', 'http:///'), text).map(([a, b]) => a + b),
);

const VARIABLES: Record<string, fc.Arbitrary<string>> = {
  K_SINK: url,
  SINK: url,
  SCHEDULE: fc.oneof(text, duration, isoDuration, cron),
  SCHEDULE_TIMEZONE: zone,
  DurationInSeconds: fc.oneof(text, fc.double().map(String)),
  SCHEDULE_NAME: fc.oneof(text, fc.stringMatching(/^[a-z0-9-]{0,70}$/)),
  CE_TYPE: text,
  CE_SOURCE: fc.oneof(text, url),
  CE_MODE: fc.oneof(text, fc.constantFrom('binary', 'STRUCTURED', 'batch')),
  K_CE_OVERRIDES: fc.oneof(text, fc.json(), fc.jsonValue().map((v) => JSON.stringify({ extensions: v }))),
  K_CA_CERTS: fc.oneof(text, fc.constant('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----')),
  K_CA_CERTS_DIR: fc.oneof(text.map((t) => `/nonexistent/${t}`), fc.constantFrom('/nonexistent', '/dev/null', '\u0000')),
  K_OIDC_TOKEN_FILE: text,
  DELIVERY_TIMEOUT: fc.oneof(text, duration, isoDuration),
  DELIVERY_RETRY: fc.oneof(text, fc.integer({ min: -5, max: 2000 }).map(String)),
  DELIVERY_BACKOFF_POLICY: fc.oneof(text, fc.constantFrom('exponential', 'LINEAR')),
  DELIVERY_BACKOFF_DELAY: fc.oneof(text, duration, isoDuration),
  DELIVERY_MAX_BACKOFF: fc.oneof(text, duration, isoDuration),
  CATCH_UP_WINDOW: fc.oneof(text, duration, isoDuration),
  LOG_LEVEL: fc.oneof(text, fc.constantFrom('debug', 'WARN', 'verbose')),
  LATE_TICK_THRESHOLD: fc.oneof(text, duration, isoDuration),
  OVERLOAD_LOG_INTERVAL: fc.oneof(text, duration, isoDuration),
};

/** The variable whose value decides: with SINK set, K_SINK must be absent for SINK to count. */
function environment(variable: string, value: string): Record<string, string> {
  return variable === 'SINK' ? { SINK: value } : { K_SINK: SINK, [variable]: value };
}

describe('configuration fuzz', () => {
  for (const [variable, values] of Object.entries(VARIABLES)) {
    it(`${variable}: accepted, or one ConfigError line naming ${variable}`, async () => {
      await fc.assert(
        fc.asyncProperty(values, async (value) => {
          let config;
          try {
            config = loadConfig(environment(variable, value));
          } catch (error) {
            assert.ok(error instanceof ConfigError, `${JSON.stringify(value)} → ${String(error)}`);
            // A blank SINK is unset: then it is K_SINK that is missing.
            const named = variable === 'SINK' && value.trim() === '' ? 'K_SINK' : variable;
            assert.equal(error.variable, named, error.message);
            assert.ok(error.message.startsWith(`${named}: `), error.message);
            assert.doesNotMatch(error.message, /[\r\n]/);
            return;
          }
          // What loads must be usable: the delivery is built from it when the app loads.
          const delivery = createDelivery({ sink: config.sink, mode: config.ceMode, timeoutMs: config.delivery.timeoutMs });
          await delivery.close();
        }),
        fuzzParameters({ numRuns: 60 }, variable),
      );
    });
  }

  it('LATE_TICK_THRESHOLD and OVERLOAD_LOG_INTERVAL: what loads is a positive whole number of ms, the duration written', () => {
    const written = fc.tuple(fc.integer({ min: 1, max: 10_000_000 }), fc.constantFrom('ms', 's', 'm')).map(([n, unit]) => ({ n, unit }));
    const factor = { ms: 1, s: 1_000, m: 60_000 } as const;
    fc.assert(
      fc.property(written, written, (late, interval) => {
        const config = loadConfig({ K_SINK: SINK, LATE_TICK_THRESHOLD: `${late.n}${late.unit}`, OVERLOAD_LOG_INTERVAL: `${interval.n}${interval.unit}` });
        assert.equal(config.lateTickThresholdMs, late.n * factor[late.unit]);
        assert.equal(config.overloadLogIntervalMs, interval.n * factor[interval.unit]);
      }),
      fuzzParameters({ numRuns: 100 }, 'overload settings'),
    );
    const defaults = loadConfig({ K_SINK: SINK });
    assert.equal(defaults.lateTickThresholdMs, 5_000);
    assert.equal(defaults.overloadLogIntervalMs, 60_000);
    assert.throws(() => loadConfig({ K_SINK: SINK, LATE_TICK_THRESHOLD: '0s' }), /^ConfigError: LATE_TICK_THRESHOLD: /);
    assert.throws(() => loadConfig({ K_SINK: SINK, OVERLOAD_LOG_INTERVAL: '5' }), /^ConfigError: OVERLOAD_LOG_INTERVAL: "5" has no unit/);
  });

  it('K_SINK credentials never appear in a start-up error', () => {
    const secret = fc.stringMatching(/^[A-Za-z0-9]{12,20}$/).map((s) => `S3cr3t${s}`);
    fc.assert(
      fc.property(secret, fc.constantFrom('%zz', '%', '%G1', ''), fc.constantFrom('http://', 'https://', 'ftp://', 'http:'), fc.constantFrom('host', '', '[::1', 'h st'), (password, junk, scheme, host) => {
        const value = `${scheme}user:${password}${junk}@${host}/path?sig=${password}`;
        try {
          loadConfig({ K_SINK: value });
        } catch (error) {
          assert.ok(error instanceof ConfigError);
          assert.ok(!error.message.includes(password), error.message);
        }
      }),
      fuzzParameters({ numRuns: 100 }, 'K_SINK secrets'),
    );
  });

  it('regression: a long DELIVERY_BACKOFF_DELAY against the default cap names DELIVERY_BACKOFF_DELAY, the variable that was set', () => {
    assert.throws(() => loadConfig({ K_SINK: SINK, DELIVERY_BACKOFF_DELAY: '5m' }), /^ConfigError: DELIVERY_BACKOFF_DELAY: is longer than DELIVERY_MAX_BACKOFF/);
  });

  it('regression: a sink password with a bad percent-escape stops start-up naming K_SINK (was "URI malformed" when the app loaded)', () => {
    assert.throws(() => loadConfig({ K_SINK: 'https://user:pa%zzss@sink.example/' }), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.variable, 'K_SINK');
      assert.match(error.message, /^K_SINK: .*percent-escape/);
      assert.ok(!error.message.includes('pa%zzss'));
      return true;
    });
  });
});
