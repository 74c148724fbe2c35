/**
 * The one instance-id rule and the one task-hub rule (src/durable/names.ts), the Durable extension's: the engine's
 * start, the Durable HTTP API and the host's settings all check with these.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { SystemClock } from '../../src/durable/clock/system-clock.js';
import { createDurableEngine } from '../../src/durable/engine.js';
import { DurableConfigError } from '../../src/durable/errors.js';
import { MAX_INSTANCE_ID_LENGTH, validateInstanceId, validateTaskHubName } from '../../src/durable/names.js';
import { MemoryStore } from '../../src/durable/store/memory/memory-store.js';
import { DirectInvoker } from '../support/direct-invoker.js';
import { testLogger } from './harness.js';

/** The extension's rule written out plainly: the model the property checks against. */
function extensionAccepts(id: string): boolean {
  if (id.trim() === '' || id.length > MAX_INSTANCE_ID_LENGTH) return false;
  return ![...id].some((c) => '/\\#?'.includes(c) || c.charCodeAt(0) <= 0x1f || (c.charCodeAt(0) >= 0x7f && c.charCodeAt(0) <= 0x9f));
}

test('instance ids: the extension refuses blank, over 256 characters, / \\ # ? and control characters, naming the field', () => {
  for (const ok of ['a', 'Schedule-1', 'user@example.com:ticks', 'x'.repeat(256), 'ünïcödé', '@entity']) assert.equal(validateInstanceId(ok), ok);
  for (const bad of ['', '   ', 'x'.repeat(257), 'a/b', 'a\\b', 'a#b', 'a?b', 'a\nb', 'a\u0085b']) {
    assert.throws(() => validateInstanceId(bad, 'route.instanceId'), (e: unknown) => {
      assert.ok(e instanceof DurableConfigError);
      assert.equal(e.code, 'INVALID_INSTANCE_ID');
      assert.equal(e.field, 'route.instanceId');
      assert.match(e.message, /^route\.instanceId: /);
      return true;
    }, JSON.stringify(bad));
  }
});

test('instance ids: any string is accepted exactly when the extension accepts it (property)', () => {
  const text = fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 20 }), fc.constantFrom('/', '\\', '#', '?', '\u0000', ' '));
  fc.assert(
    fc.property(text, (id) => {
      let accepted = true;
      try {
        assert.equal(validateInstanceId(id), id);
      } catch (error) {
        assert.ok(error instanceof DurableConfigError && error.code === 'INVALID_INSTANCE_ID');
        accepted = false;
      }
      assert.equal(accepted, extensionAccepts(id));
    }),
  );
});

test('task hub names: 3-45 letters or digits starting with a letter; the message names the setting', () => {
  for (const ok of ['abc', 'MyHub1', 'a'.repeat(45)]) assert.equal(validateTaskHubName(ok), ok);
  for (const bad of ['ab', 'a'.repeat(46), '1hub', 'my-hub', 'hub!', '']) {
    assert.throws(() => validateTaskHubName(bad, 'TaskHubName'), (e: unknown) => {
      assert.ok(e instanceof DurableConfigError);
      assert.deepEqual([e.code, e.field], ['INVALID_TASK_HUB', 'TaskHubName']);
      assert.ok(e.message.startsWith(`TaskHubName: task hub name ${JSON.stringify(bad)} must be 3-45 letters or digits`), e.message);
      return true;
    });
  }
});

test("the engine's start applies the extension's instance-id rule (an id with '/' was taken before)", async () => {
  const engine = createDurableEngine(
    { connectionString: 'memory', taskHubName: 'NamesHub', invoker: new DirectInvoker().orchestration('Noop', function* () { return 1; }), clock: new SystemClock(), logger: testLogger(), workerId: 'names' },
    { safetyScanIntervalMs: 0 },
    () => new MemoryStore(),
  );
  try {
    await assert.rejects(engine.start('Noop', { instanceId: 'a/b' }), { code: 'INVALID_INSTANCE_ID', field: 'instanceId' });
    await assert.rejects(engine.start('Noop', { instanceId: ' ' }), { code: 'INVALID_INSTANCE_ID' });
  } finally {
    await engine.shutdown();
  }
});
