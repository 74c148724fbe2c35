/**
 * The sink settings of the environment (DEAD_LETTER_SINK, SINK_ALLOWLIST, SINK_MAX_CONNECTIONS): defaults, one clear
 * start-up line for a bad value, no secret quoted; and the per-attempt targets the activity derives from them.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { loadConfig, redactedConfig } from '../../../src/eventsource/config/config.js';
import { targetsOf } from '../../../src/eventsource/delivery/tick-request.js';
import { ConfigError } from '../../../src/eventsource/core/errors.js';
import { fuzzParameters } from '../../support/fuzz.js';

const SINK = 'http://hello-events.default.svc.cluster.local/';

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error;
  }
  assert.fail('accepted');
}

describe('sink settings', () => {
  it('default: no dead-letter sink, only the origin of K_SINK allowed, 64 connections per origin', () => {
    const config = loadConfig({ K_SINK: SINK });
    assert.equal(config.deadLetterSink, undefined);
    assert.deepEqual(config.sinkAllowlist, ['http://hello-events.default.svc.cluster.local']);
    assert.equal(config.sinkMaxConnections, 64);
    assert.deepEqual(loadConfig({ SINK: 'https://Other.example:443/in' }).sinkAllowlist, ['https://other.example']);
  });

  it('reads DEAD_LETTER_SINK, SINK_ALLOWLIST and SINK_MAX_CONNECTIONS; the log shows the dead-letter sink redacted', () => {
    const config = loadConfig({
      K_SINK: SINK,
      DEAD_LETTER_SINK: 'https://dl:pw9876@dead.example/letters?sig=zz',
      SINK_ALLOWLIST: 'https://a.example, http://b.example:8080',
      SINK_MAX_CONNECTIONS: '8',
    });
    assert.equal(config.deadLetterSink?.href, 'https://dl:pw9876@dead.example/letters?sig=zz');
    assert.deepEqual(config.sinkAllowlist, ['https://a.example', 'http://b.example:8080']);
    assert.equal(config.sinkMaxConnections, 8);
    const shown = JSON.stringify(redactedConfig(config));
    assert.doesNotMatch(shown, /pw9876|sig=zz/);
    assert.match(shown, /https:\/\/dead\.example\/letters \(credentials\/query redacted\)/);
  });

  it('a bad value stops the start with one line naming the variable, never quoting a secret', () => {
    const cases: Array<[Record<string, string>, string, RegExp]> = [
      [{ DEAD_LETTER_SINK: 'ftp://u:pw5555@x/' }, 'DEAD_LETTER_SINK', /must be an http or https URL/],
      [{ DEAD_LETTER_SINK: 'not a url' }, 'DEAD_LETTER_SINK', /not a valid absolute URL/],
      [{ DEAD_LETTER_SINK: 'http://169.254.169.254/' }, 'DEAD_LETTER_SINK', /link-local or cloud metadata/],
      [{ SINK_ALLOWLIST: 'https://ok.example,https://x.example/path' }, 'SINK_ALLOWLIST', /"https:\/\/x.example\/path" is not an origin/],
      [{ SINK_ALLOWLIST: 'https://u:pw5555@ok.example' }, 'SINK_ALLOWLIST', /credentials/],
      [{ SINK_MAX_CONNECTIONS: '0' }, 'SINK_MAX_CONNECTIONS', /from 1 to 10000/],
      [{ SINK_MAX_CONNECTIONS: 'lots' }, 'SINK_MAX_CONNECTIONS', /from 1 to 10000/],
    ];
    for (const [env, variable, why] of cases) {
      const error = configError({ K_SINK: SINK, ...env });
      assert.equal(error.variable, variable, error.message);
      assert.match(error.message, why);
      assert.doesNotMatch(error.message, /pw5555|[\r\n]/);
    }
    assert.equal(configError({ K_SINK: 'http://metadata.google.internal/' }).variable, 'K_SINK');
    assert.equal(configError({ SINK: 'http://[fe80::1]/' }).variable, 'SINK');
  });
});

describe('sink settings fuzz', () => {
  const text = fc.oneof(fc.string(), fc.string({ unit: 'binary' }));
  const urls = fc.oneof(fc.webUrl({ withQueryParameters: true, withFragments: true, authoritySettings: { withUserInfo: true } }), fc.webUrl().map((u) => `${u} , ${u}/x`));
  const values: Record<string, fc.Arbitrary<string>> = {
    DEAD_LETTER_SINK: fc.oneof(text, urls),
    SINK_ALLOWLIST: fc.oneof(text, urls, fc.array(fc.webUrl(), { maxLength: 4 }).map((list) => list.map((u) => new URL(u).origin).join(','))),
    SINK_MAX_CONNECTIONS: fc.oneof(text, fc.integer({ min: -5, max: 20_000 }).map(String)),
  };
  for (const [variable, arbitrary] of Object.entries(values)) {
    it(`${variable}: accepted, or one ConfigError line naming it`, () => {
      fc.assert(
        fc.property(arbitrary, (value) => {
          try {
            loadConfig({ K_SINK: SINK, [variable]: value });
          } catch (error) {
            assert.ok(error instanceof ConfigError, `${JSON.stringify(value)} → ${String(error)}`);
            assert.equal(error.variable, variable, error.message);
            assert.doesNotMatch(error.message, /[\r\n]/);
          }
        }),
        fuzzParameters({ numRuns: 150 }, variable),
      );
    });
  }
});

describe('targets of one attempt', () => {
  const defaults = { sink: new URL(SINK), timeoutMs: 10_000, allowlist: ['https://a.example'], deadLetterSink: new URL('https://dead.example/') };
  const tick = { scheduleName: 's', generation: '2030-01-01T00:00:00.000Z', sequence: 1, scheduledTime: '2030-01-01T00:00:00.000Z' };

  it("the environment's, unless the schedule has its own (checked against the allowlist again)", () => {
    assert.deepEqual(targetsOf(tick, defaults), { ok: true, targets: { sink: defaults.sink, timeoutMs: 10_000, deadLetterSink: defaults.deadLetterSink } });
    const own = targetsOf({ ...tick, sink: 'https://a.example/in', delivery: { timeout: 2_000, deadLetterSink: 'https://a.example/dead' } }, defaults);
    assert.deepEqual(own.ok && [own.targets.sink.href, own.targets.timeoutMs, own.targets.deadLetterSink?.href], [
      'https://a.example/in', 2_000, 'https://a.example/dead',
    ]);
    assert.deepEqual(targetsOf({ ...tick, sink: 'https://evil.example/' }, defaults), {
      ok: false, problem: 'sink: origin https://evil.example is not in SINK_ALLOWLIST (allowed: https://a.example)',
    });
    const metadata = targetsOf({ ...tick, delivery: { timeout: 1_000, deadLetterSink: 'http://169.254.169.254/' } }, defaults);
    assert.match(!metadata.ok ? metadata.problem : '', /^deadLetterSink: .*link-local or cloud metadata/);
  });
});
