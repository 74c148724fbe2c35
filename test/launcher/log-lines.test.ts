/** The launcher's terminal lines: every component's JSON record with its level shown, whichever way pino wrote it. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatLine } from '../../src/launcher/log-lines.js';

test('warnings and errors are marked, numbers and labels alike; info is not', () => {
  const at = Date.UTC(2026, 0, 2, 3, 4, 5);
  assert.equal(formatLine('host', JSON.stringify({ level: 40, time: at, msg: 'falling behind', schedule: 'a' })), '03:04:05 [host] WARN falling behind schedule=a');
  assert.equal(formatLine('host', JSON.stringify({ level: 'error', time: new Date(at).toISOString(), msg: 'x' })), '03:04:05 [host] ERROR x');
  assert.equal(formatLine('hello-events', JSON.stringify({ level: 30, time: at, msg: 'event received' })), '03:04:05 [hello-events] event received');
  assert.match(formatLine('host', 'plain text'), /^\d\d:\d\d:\d\d \[host\] plain text$/);
});

test('any record names its component and keeps its message', () => {
  fc.assert(
    fc.property(fc.constantFrom(10, 20, 30, 40, 50, 60, 'warn', 'info', 'fatal'), fc.string(), fc.dictionary(fc.string(), fc.jsonValue()), (level, msg, extra) => {
      const line = formatLine('c', JSON.stringify({ ...extra, level, msg }));
      assert.ok(line.includes('[c]'));
      assert.ok(line.includes(msg));
    }),
  );
});
