/** The CLI's table of the list: one row per schedule summary (GET /api/schedules), the trigger in the definition's words. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { render } from '../../src/cli/render.js';

const counters = { delivered: 3, rejected: 0, failed: 0, deadLettered: 0, skipped: 0, triggered: 0, backfilled: 0 };

test('the list as a table: name, status, origin, the trigger as written, next fire, last outcome', () => {
  const summaries = [
    { name: 'default', status: 'running', origin: 'env', every: '1s', nextFireTime: '2030-01-01T00:00:01.000Z', nextSequence: 4, lastDelivery: { sequence: 3, outcome: 'delivered', scheduledTime: '2030-01-01T00:00:00.000Z', status: 200 }, counters },
    { name: 'nightly', status: 'paused', origin: 'api', cron: '0 30 2 * * *', timezone: 'Europe/Berlin', paused: { note: 'x', since: '2030-01-01T00:00:00.000Z' }, resumesFrom: '2030-01-02T01:30:00.000Z', nextSequence: 1, counters },
    { name: 'phased', status: 'running', origin: 'file', every: '1m', offset: '10s', nextSequence: 1, counters },
    { name: 'once', status: 'completed', origin: 'api', at: '2030-01-01T00:00:00.000Z' },
  ];
  const lines = render(summaries, 'table', 'list').split('\n');
  assert.match(lines[0] ?? '', /^NAME\s+STATUS\s+ORIGIN\s+SCHEDULE\s+NEXT FIRE\s+LAST$/);
  assert.match(lines[1] ?? '', /^default\s+running\s+env\s+every 1s\s+2030-01-01T00:00:01.000Z\s+delivered$/);
  assert.match(lines[2] ?? '', /^nightly\s+paused\s+api\s+cron 0 30 2 \* \* \* Europe\/Berlin\s+2030-01-02T01:30:00.000Z\s+-$/, 'a paused schedule shows when it resumes');
  assert.match(lines[3] ?? '', /^phased\s+running\s+file\s+every 1m offset 10s\s+-\s+-$/);
  assert.match(lines[4] ?? '', /^once\s+completed\s+api\s+at 2030-01-01T00:00:00.000Z\s+-\s+-$/);
  assert.equal(render([], 'table', 'list'), 'no schedules');
});
