import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, readConfig } from '../../src/hello-events/config.js';

test('PORT and HOST default to 8080 and 0.0.0.0', () => {
  const { port, host } = readConfig({});
  assert.deepEqual({ port, host }, { port: 8080, host: '0.0.0.0' });
});

test('PORT and HOST are taken from the environment', () => {
  const { port, host } = readConfig({ PORT: '9090', HOST: '127.0.0.1' });
  assert.deepEqual({ port, host }, { port: 9090, host: '127.0.0.1' });
});

test('a PORT that is not a port number is refused, naming PORT', () => {
  for (const bad of ['http', '80.5', '-1', '70000', '']) {
    assert.throws(
      () => readConfig({ PORT: bad }),
      (error: unknown) => error instanceof ConfigError && error.code === 'CONFIG_INVALID' && error.field === 'PORT',
      `PORT=${JSON.stringify(bad)}`,
    );
  }
});

test('fuzz: any PORT, HOST or dedup setting is accepted or refused with a ConfigError naming it, on one line', async () => {
  const { default: fc } = await import('fast-check');
  const { fuzzParameters } = await import('../support/fuzz.js');
  const value = fc.oneof(fc.string(), fc.string({ unit: 'binary', maxLength: 20 }), fc.integer({ min: -10, max: 100_000 }).map(String), fc.constantFrom(' ', '\n', '0x50', '1e3', '８０'));
  fc.assert(
    fc.property(fc.constantFrom('PORT', 'HOST', 'DEDUP_WINDOW_SIZE', 'DEDUP_WINDOW_SECONDS'), value, (field, text) => {
      try {
        const config = readConfig({ [field]: text });
        assert.ok(Number.isInteger(config.port) && config.port >= 0 && config.port <= 65535);
      } catch (error) {
        assert.ok(error instanceof ConfigError, String(error));
        assert.equal(error.field, field);
        assert.ok(error.message.startsWith(`${field}: `) && !error.message.includes('\n'), error.message);
      }
    }),
    fuzzParameters({ numRuns: 200 }, 'hello-events PORT/HOST'),
  );
});

test('the dedup window defaults to 10000 pairs for 3600 s and is taken from the environment', () => {
  assert.deepEqual(readConfig({}).dedup, { maxEntries: 10_000, maxAgeMs: 3_600_000 });
  assert.deepEqual(readConfig({ DEDUP_WINDOW_SIZE: '50', DEDUP_WINDOW_SECONDS: '5' }).dedup, { maxEntries: 50, maxAgeMs: 5_000 });
});

test('a dedup setting out of range is refused on one line naming it', () => {
  const cases: [string, string][] = [
    ['DEDUP_WINDOW_SIZE', '0'],
    ['DEDUP_WINDOW_SIZE', '1000001'],
    ['DEDUP_WINDOW_SIZE', 'many'],
    ['DEDUP_WINDOW_SECONDS', '0'],
    ['DEDUP_WINDOW_SECONDS', '1h'],
    ['DEDUP_WINDOW_SECONDS', '604801'],
    ['DEDUP_WINDOW_SECONDS', '5\nDEDUP_WINDOW_SIZE: fine'],
  ];
  for (const [field, value] of cases) {
    assert.throws(
      () => readConfig({ [field]: value }),
      (error: unknown) =>
        error instanceof ConfigError && error.field === field && error.message.startsWith(`${field}: must be an integer from `) && !error.message.includes('\n'),
      `${field}=${JSON.stringify(value)}`,
    );
  }
});
