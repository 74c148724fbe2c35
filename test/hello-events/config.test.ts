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
