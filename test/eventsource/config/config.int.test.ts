import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import { CONFIG_DEFAULTS, loadConfig, redactedConfig } from '../../../src/eventsource/config/config.js';
import { ConfigError } from '../../../src/eventsource/core/errors.js';
import { createTlsFixture, type TlsFixture } from '../delivery/tls-fixture.js';

const SINK = 'http://hello-events.default.svc.cluster.local/';

function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail('loadConfig accepted a bad environment');
}

describe('loadConfig defaults', () => {
  it('needs only a sink', () => {
    const config = loadConfig({ K_SINK: SINK });
    assert.equal(config.sink.href, SINK);
    assert.deepEqual(config.schedule, { kind: 'interval', everyMs: 10_000, text: '10s' });
    assert.equal(config.scheduleName, 'default');
    assert.equal(config.ceType, 'com.hello.cron-event');
    assert.equal(config.ceSource, 'urn:hello-com:cron-source');
    assert.equal(config.ceMode, 'binary');
    assert.deepEqual(config.ceOverrides, {});
    assert.equal(config.caCerts, undefined);
    assert.deepEqual(config.delivery, { retry: 4, backoffPolicy: 'exponential', backoffDelayMs: 1_000, maxBackoffMs: 30_000, timeoutMs: 10_000 });
    assert.equal(config.catchUpWindowMs, 60_000);
    assert.equal(config.logLevel, 'info');
    assert.equal(config.sinkProbeIntervalMs, 1_000);
    assert.equal(config.sinkOidcTokensDir, '/oidc/sinks');
    assert.equal(loadConfig({ K_SINK: SINK, SINK_PROBE_INTERVAL: '250ms', SINK_OIDC_TOKENS_DIR: '/var/run/tokens/' }).sinkProbeIntervalMs, 250);
    assert.equal(CONFIG_DEFAULTS.SCHEDULE, '10s');
  });

  it('falls back to SINK, prefers K_SINK, and treats blank values as unset', () => {
    assert.equal(loadConfig({ SINK: 'http://fallback/' }).sink.href, 'http://fallback/');
    assert.equal(loadConfig({ K_SINK: 'http://knative/', SINK: 'http://fallback/' }).sink.href, 'http://knative/');
    assert.equal(loadConfig({ K_SINK: '  ', SINK: 'http://fallback/' }).sink.href, 'http://fallback/');
    assert.equal(loadConfig({ K_SINK: SINK, SCHEDULE: '', K_CE_OVERRIDES: '' }).schedule.text, '10s');
  });

  it('reads every variable', () => {
    const config = loadConfig({
      K_SINK: SINK,
      SCHEDULE: '0 30 2 * * *',
      SCHEDULE_TIMEZONE: 'Europe/Berlin',
      SCHEDULE_NAME: 'nightly-2',
      CE_TYPE: 'dev.example.tick',
      CE_SOURCE: '/apis/v1/namespaces/default/sources/ticker',
      CE_MODE: 'structured',
      K_CE_OVERRIDES: '{"extensions":{"extra":"x"}}',
      DELIVERY_TIMEOUT: 'PT2S',
      DELIVERY_RETRY: '3',
      DELIVERY_BACKOFF_POLICY: 'linear',
      DELIVERY_BACKOFF_DELAY: 'PT0.2S',
      DELIVERY_MAX_BACKOFF: '1m',
      CATCH_UP_WINDOW: '0',
      LOG_LEVEL: 'debug',
    });
    assert.deepEqual(config.schedule, { kind: 'cron', expression: '0 30 2 * * *', timeZone: 'Europe/Berlin', text: '0 30 2 * * *' });
    assert.equal(config.scheduleName, 'nightly-2');
    assert.equal(config.ceType, 'dev.example.tick');
    assert.equal(config.ceSource, '/apis/v1/namespaces/default/sources/ticker');
    assert.equal(config.ceMode, 'structured');
    assert.deepEqual(config.ceOverrides, { extra: 'x' });
    assert.deepEqual(config.delivery, { retry: 2, backoffPolicy: 'linear', backoffDelayMs: 200, maxBackoffMs: 60_000, timeoutMs: 2_000 }, 'DELIVERY_RETRY=3 attempts: 2 retries');
    assert.equal(config.catchUpWindowMs, 0);
    assert.equal(config.logLevel, 'debug');
  });

  it('accepts the legacy DurationInSeconds when SCHEDULE is unset, and ignores it otherwise', () => {
    assert.deepEqual(loadConfig({ K_SINK: SINK, DurationInSeconds: '5' }).schedule, { kind: 'interval', everyMs: 5_000, text: '5s' });
    assert.deepEqual(loadConfig({ K_SINK: SINK, DurationInSeconds: '0.5', MIN_INTERVAL: '100ms' }).schedule, { kind: 'interval', everyMs: 500, text: '0.5s' });
    assert.equal(loadConfig({ K_SINK: SINK, SCHEDULE: '1m', DurationInSeconds: 'junk' }).schedule.text, '1m');
  });
});

describe('loadConfig errors', () => {
  let tls: TlsFixture;
  before(() => {
    tls = createTlsFixture();
  });
  after(() => tls?.remove());

  it('accepts a PEM CA bundle in K_CA_CERTS', () => {
    const config = loadConfig({ K_SINK: SINK, K_CA_CERTS: `${tls.caCert}${tls.serverCert}` });
    assert.ok(config.caCerts?.includes('BEGIN CERTIFICATE'));
    assert.equal(redactedConfig(config)['caCerts'], '2 certificate(s)');
  });

  // [variable, bad value, what the one-line message must say]; every other variable is valid.
  const cases: Array<[string, string, RegExp]> = [
    ['K_SINK', 'not a url', /^K_SINK: is not a valid absolute URL/],
    ['K_SINK', 'ftp://files.example/', /^K_SINK: must be an http or https URL, not ftp$/],
    ['SINK', '/relative', /^SINK: is not a valid absolute URL/],
    ['SCHEDULE', '10x', /^SCHEDULE: "10x" is not an interval \(e\.g\. 10s, 500ms, PT10S\) nor a cron expression: /],
    ['SCHEDULE', '0 99 * * * *', /^SCHEDULE: "0 99 \* \* \* \*" is not an interval .* nor a cron expression: /],
    ['SCHEDULE', '0s', /^SCHEDULE: "0s" is zero/],
    ['SCHEDULE_TIMEZONE', 'Europe/Atlantis', /^SCHEDULE_TIMEZONE: "Europe\/Atlantis" is not a known IANA time zone/],
    ['DurationInSeconds', '-3', /^DurationInSeconds: "-3" must be a positive number of seconds/],
    ['DurationInSeconds', 'ten', /^DurationInSeconds: "ten" must be a positive number/],
    ['DurationInSeconds', '0', /^DurationInSeconds: "0" must be a positive number/],
    ['SCHEDULE_NAME', 'My_Schedule', /^SCHEDULE_NAME: "My_Schedule" must be 1-63 characters of a-z, 0-9 and '-'/],
    ['SCHEDULE_NAME', '-lead', /^SCHEDULE_NAME: /],
    ['SCHEDULE_NAME', 'a'.repeat(64), /^SCHEDULE_NAME: /],
    ['CE_TYPE', 'bad\u0001type', /^CE_TYPE: must not contain control characters$/],
    ['CE_SOURCE', 'has spaces in it', /^CE_SOURCE: "has spaces in it" is not a URI-reference/],
    ['CE_SOURCE', 'http://[bad', /^CE_SOURCE: "http:\/\/\[bad" is not a URI-reference/],
    ['CE_MODE', 'batch', /^CE_MODE: "batch" must be binary or structured$/],
    ['K_CE_OVERRIDES', '{not json', /^K_CE_OVERRIDES: is not valid JSON/],
    ['K_CE_OVERRIDES', '{"extensions":{"source":"x"}}', /^K_CE_OVERRIDES: extension "source" would override the CloudEvents spec attribute "source"/],
    ['K_CE_OVERRIDES', '{"extensions":{"Bad_Name":"x"}}', /^K_CE_OVERRIDES: extension name "Bad_Name" is invalid/],
    ['K_CA_CERTS', 'not a pem', /^K_CA_CERTS: contains no PEM certificate/],
    ['K_CA_CERTS', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', /^K_CA_CERTS: certificate 1 of 1 is not a valid X.509 certificate$/],
    ['DELIVERY_TIMEOUT', 'forever', /^DELIVERY_TIMEOUT: "forever" is not a duration/],
    ['DELIVERY_TIMEOUT', '0s', /^DELIVERY_TIMEOUT: "0s" is zero/],
    ['DELIVERY_RETRY', '0', /^DELIVERY_RETRY: "0" must be a whole number of attempts per tick from 1 to 1000$/],
    ['DELIVERY_RETRY', '2.5', /^DELIVERY_RETRY: /],
    ['DELIVERY_RETRY', 'many', /^DELIVERY_RETRY: /],
    ['DELIVERY_BACKOFF_POLICY', 'random', /^DELIVERY_BACKOFF_POLICY: "random" must be exponential or linear$/],
    ['DELIVERY_BACKOFF_DELAY', '-1s', /^DELIVERY_BACKOFF_DELAY: "-1s" is negative/],
    ['DELIVERY_MAX_BACKOFF', 'P1M', /^DELIVERY_MAX_BACKOFF: "P1M": ISO-8601 years and months are not supported/],
    ['DELIVERY_MAX_BACKOFF', '500ms', /^DELIVERY_MAX_BACKOFF: "500ms" is shorter than DELIVERY_BACKOFF_DELAY \(1000 ms\)$/],
    ['CATCH_UP_WINDOW', 'a while', /^CATCH_UP_WINDOW: "a while" is not a duration/],
    ['CATCH_UP_WINDOW', '-5m', /^CATCH_UP_WINDOW: "-5m" is negative/],
    ['LOG_LEVEL', 'verbose', /^LOG_LEVEL: "verbose" is not a log level \(fatal, error, warn, info, debug, trace, silent\)$/],
    ['SINK_PROBE_INTERVAL', '10ms', /^SINK_PROBE_INTERVAL: must be from 100ms to 1m, got 10 ms$/],
    ['SINK_PROBE_INTERVAL', '2m', /^SINK_PROBE_INTERVAL: must be from 100ms to 1m/],
    ['SINK_PROBE_INTERVAL', 'often', /^SINK_PROBE_INTERVAL: "often" is not a duration/],
    ['SINK_OIDC_TOKENS_DIR', 'relative/dir', /^SINK_OIDC_TOKENS_DIR: "relative\/dir" must be an absolute directory path$/],
  ];

  for (const [variable, value, why] of cases) {
    it(`${variable}=${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)} → one line naming ${variable}`, () => {
      const env: Record<string, string> = variable === 'SINK' ? { SINK: value } : { K_SINK: SINK, [variable]: value };
      const error = configError(env);
      assert.equal(error.code, 'CONFIG_INVALID');
      assert.equal(error.variable, variable);
      assert.match(error.message, why);
      assert.ok(!error.message.includes('\n'), `more than one line: ${error.message}`);
    });
  }

  it('reports a missing sink naming K_SINK, with the Knative hint', () => {
    for (const env of [{}, { K_SINK: '', SINK: ' ' }]) {
      const error = configError(env);
      assert.equal(error.variable, 'K_SINK');
      assert.equal(error.message, 'K_SINK: not set (Knative injects it into a ContainerSource or SinkBinding; set K_SINK or SINK)');
    }
  });

  it('reports the first bad variable when several are bad', () => {
    const error = configError({ K_SINK: SINK, CE_MODE: 'batch', LOG_LEVEL: 'verbose' });
    assert.equal(error.variable, 'CE_MODE');
  });
});

describe('secrets in the sink URL', () => {
  const secretSink = 'https://alice:hunter2@sink.example:8443/in?sig=topsecretsig&code=abc123';

  it('never appear in redactedConfig', () => {
    const config = loadConfig({ K_SINK: secretSink });
    assert.equal(config.sink.password, 'hunter2', 'the real config keeps them for delivery');
    const redacted = redactedConfig(config);
    assert.equal(redacted['sink'], 'https://sink.example:8443/in (credentials/query redacted)');
    assert.doesNotMatch(JSON.stringify(redacted), /hunter2|topsecretsig|abc123|alice/);
  });

  it('never appear in an error message', () => {
    for (const env of [
      { K_SINK: 'ftp://alice:hunter2@sink.example/?sig=topsecretsig' },
      { K_SINK: 'https://alice:hunter2@[sink.example/?sig=topsecretsig' },
      { K_SINK: secretSink, SCHEDULE: 'bad schedule' },
    ]) {
      const error = configError(env);
      assert.doesNotMatch(error.message, /hunter2|topsecretsig|alice/);
    }
  });
});

describe('trust bundles mounted as files (K_CA_CERTS_DIR)', () => {
  let tls: TlsFixture;
  let dir: string;
  before(() => {
    tls = createTlsFixture();
  });
  after(() => tls?.remove());
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'eventsource-certs-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads every *.crt of the directory, sorted by name, and ignores other files', () => {
    writeFileSync(path.join(dir, 'b-server.crt'), tls.serverCert);
    writeFileSync(path.join(dir, 'a-ca.crt'), tls.caCert);
    writeFileSync(path.join(dir, 'notes.txt'), 'not a certificate');
    writeFileSync(path.join(dir, 'ca.key'), 'not a certificate either');
    mkdirSync(path.join(dir, 'sub.crt'));
    const config = loadConfig({ K_SINK: SINK, K_CA_CERTS_DIR: dir });
    assert.deepEqual(config.caCertFiles, [path.join(dir, 'a-ca.crt'), path.join(dir, 'b-server.crt')]);
    assert.equal(config.caCerts, `${tls.caCert}${tls.serverCert}`);
    const redacted = redactedConfig(config);
    assert.equal(redacted['caCerts'], '2 certificate(s)');
    assert.deepEqual(redacted['caCertFiles'], config.caCertFiles);
  });

  it('combines K_CA_CERTS with the directory into one bundle', () => {
    writeFileSync(path.join(dir, 'ca.crt'), tls.caCert.trimEnd()); // no final newline: bundles must not run together
    const config = loadConfig({ K_SINK: SINK, K_CA_CERTS: tls.serverCert, K_CA_CERTS_DIR: dir });
    assert.equal(config.caCerts, `${tls.serverCert}${tls.caCert}`);
    assert.equal(redactedConfig(config)['caCerts'], '2 certificate(s)');
  });

  it('treats a missing or empty directory as no bundle', () => {
    assert.equal(loadConfig({ K_SINK: SINK, K_CA_CERTS_DIR: path.join(dir, 'absent') }).caCerts, undefined);
    const empty = loadConfig({ K_SINK: SINK, K_CA_CERTS_DIR: dir });
    assert.equal(empty.caCerts, undefined);
    assert.deepEqual(empty.caCertFiles, []);
    assert.equal(loadConfig({ K_SINK: SINK, K_CA_CERTS: tls.caCert, K_CA_CERTS_DIR: dir }).caCerts, tls.caCert);
  });

  it('defaults to /knative-custom-certs', () => {
    assert.equal(CONFIG_DEFAULTS.K_CA_CERTS_DIR, '/knative-custom-certs');
  });

  const badFiles: Array<[string, string, RegExp]> = [
    ['not a pem', 'secret-looking junk qwerty123', /: contains no PEM certificate/],
    ['a broken certificate', '-----BEGIN CERTIFICATE-----\nqwerty123\n-----END CERTIFICATE-----\n', /: certificate 1 of 1 is not a valid X.509 certificate$/],
  ];
  for (const [what, content, why] of badFiles) {
    it(`a .crt that is ${what} → one line naming the file, not its content`, () => {
      writeFileSync(path.join(dir, 'good.crt'), tls.caCert);
      const file = path.join(dir, 'zz-bad.crt');
      writeFileSync(file, content);
      const error = configError({ K_SINK: SINK, K_CA_CERTS_DIR: dir });
      assert.equal(error.code, 'CONFIG_INVALID');
      assert.equal(error.variable, 'K_CA_CERTS_DIR');
      assert.ok(error.message.startsWith(`K_CA_CERTS_DIR: ${file}: `), error.message);
      assert.match(error.message, why);
      assert.ok(!error.message.includes('\n'), `more than one line: ${error.message}`);
      assert.doesNotMatch(error.message, /qwerty123/);
    });
  }

  it('a directory that cannot be listed is an error naming it', () => {
    const file = path.join(dir, 'plain-file');
    writeFileSync(file, 'x');
    const error = configError({ K_SINK: SINK, K_CA_CERTS_DIR: file });
    assert.equal(error.variable, 'K_CA_CERTS_DIR');
    assert.equal(error.message, `K_CA_CERTS_DIR: ${file}: cannot be listed (ENOTDIR)`);
  });
});

describe('OIDC token file (K_OIDC_TOKEN_FILE)', () => {
  it('defaults to /oidc/token and can be overridden', () => {
    assert.equal(loadConfig({ K_SINK: SINK }).oidcTokenFile, '/oidc/token');
    assert.equal(loadConfig({ K_SINK: SINK, K_OIDC_TOKEN_FILE: '/var/run/token' }).oidcTokenFile, '/var/run/token');
    assert.equal(redactedConfig(loadConfig({ K_SINK: SINK }))['oidcTokenFile'], '/oidc/token');
  });
});
