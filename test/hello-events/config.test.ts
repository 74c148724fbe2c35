import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, readConfig } from '../../src/hello-events/config.js';

test('PORT and HOST default to 8080 and 0.0.0.0', () => {
  assert.deepEqual(readConfig({}), { port: 8080, host: '0.0.0.0' });
});

test('PORT and HOST are taken from the environment', () => {
  assert.deepEqual(readConfig({ PORT: '9090', HOST: '127.0.0.1' }), { port: 9090, host: '127.0.0.1' });
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

test('fuzz: any PORT or HOST is accepted or refused with a ConfigError naming it, on one line', async () => {
  const { default: fc } = await import('fast-check');
  const { fuzzParameters } = await import('../support/fuzz.js');
  const value = fc.oneof(fc.string(), fc.string({ unit: 'binary', maxLength: 20 }), fc.integer({ min: -10, max: 100_000 }).map(String), fc.constantFrom(' ', '\n', '0x50', '1e3', '８０'));
  fc.assert(
    fc.property(fc.constantFrom('PORT', 'HOST'), value, (field, text) => {
      try {
        const config = readConfig({ [field]: text });
        assert.ok(Number.isInteger(config.port) && config.port >= 0 && config.port <= 65535);
      } catch (error) {
        assert.ok(error instanceof ConfigError, String(error));
        assert.equal(error.field, field);
        assert.ok(error.message.startsWith(`${field}: `));
      }
    }),
    fuzzParameters({ numRuns: 200 }, 'hello-events PORT/HOST'),
  );
});
