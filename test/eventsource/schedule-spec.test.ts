import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkScheduleSpec } from '../../src/eventsource/schedule-spec.js';

const good = {
  schedule: '0 */5 * * * *',
  timeZone: 'Europe/Berlin',
  catchUpWindowMs: 60_000,
  retry: { maxAttempts: 5, backoffPolicy: 'exponential', backoffDelayMs: 1_000, maxBackoffMs: 30_000 },
};

test('a well-formed spec passes unchanged', () => {
  assert.deepEqual(checkScheduleSpec(good), { ok: true, spec: good });
});

test('each malformed part is named', () => {
  const cases: Array<[unknown, RegExp]> = [
    [undefined, /expected object/i],
    [{ ...good, schedule: 'soon' }, /not a valid interval or cron/],
    [{ ...good, timeZone: 'Mars/Olympus' }, /not a valid interval or cron/],
    [{ ...good, catchUpWindowMs: -1 }, /^catchUpWindowMs: /],
    [{ ...good, retry: { ...good.retry, backoffPolicy: 'random' } }, /^retry\.backoffPolicy: /],
    [{ ...good, retry: { ...good.retry, maxAttempts: 1.5 } }, /^retry\.maxAttempts: /],
  ];
  for (const [value, problem] of cases) {
    const check = checkScheduleSpec(value);
    assert.equal(check.ok, false, JSON.stringify(value));
    if (!check.ok) assert.match(check.problem, problem);
  }
});
