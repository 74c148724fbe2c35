/**
 * A changed SCHEDULE takes effect on the next start without resetting the sequence: the host runs a 1 s schedule,
 * stops, starts again with SCHEDULE=2s; the same single instance goes on, the sequence continues with no gap, and
 * the ticks after the change are 2 s apart.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { until } from '../support/host-process.js';
import { RecordingSink } from '../support/recording-sink.js';
import { withSuccessiveHosts } from '../support/scheduled-host.js';

test('a changed SCHEDULE applies at the next start and keeps the sequence', { timeout: 90_000 }, async () => {
  const sink = new RecordingSink();
  await withSuccessiveHosts({ taskHubName: 'ScheduleChange', sink }, async (startHost) => {
    const first = await startHost('SCHEDULE=1s', { SCHEDULE: '1s' });
    await sink.waitFor(3, 20_000);
    assert.equal((await first.stop()).code, 0);
    const beforeChange = Math.max(...sink.events.map((e) => e.data.sequence));

    const second = await startHost('SCHEDULE=2s', { SCHEDULE: '2s' });
    await until(
      'the starter to hand the running schedule its new spec',
      () => (second.records().some((r) => r.msg === 'schedule changed; new spec sent to the running schedule') ? true : undefined),
      20_000,
    );
    // Ticks missed while no host ran are caught up on the old spacing until the starter's event is taken (how many
    // depends on how fast the second host starts); from the first 2 s gap on, every tick is 2 s apart.
    const gapsSince = (): number[] => {
      const times = [...new Map(sink.events.filter((e) => e.data.sequence >= beforeChange).map((e) => [e.data.sequence, Date.parse(e.time)])).entries()]
        .sort((a, b) => a[0] - b[0])
        .map(([, time]) => time);
      return times.slice(1).map((time, i) => time - times[i]!);
    };
    await until('three ticks on the new schedule', () => {
      const gaps = gapsSince();
      const firstNew = gaps.indexOf(2_000);
      return firstNew >= 0 && gaps.length - firstNew >= 3 ? true : undefined;
    }, 30_000);

    const { body } = await second.getJson<{ spec: { every?: string }; nextSequence: number }>('/api/schedules/default');
    assert.equal(body.spec.every, '2s');
    const sequences = [...new Set(sink.events.map((e) => e.data.sequence))];
    assert.deepEqual(sequences, sequences.map((_, i) => i + 1), 'no gap, no reset across the change');
    const gaps = gapsSince();
    const firstNew = gaps.indexOf(2_000);
    assert.ok(firstNew >= 0, `a 2 s gap after the change (gaps: ${gaps.join(', ')})`);
    assert.deepEqual(gaps.slice(0, firstNew), gaps.slice(0, firstNew).map(() => 1_000), 'catch-up ticks keep the old spacing');
    assert.deepEqual(gaps.slice(firstNew), gaps.slice(firstNew).map(() => 2_000), 'ticks after the change are 2 s apart');
    assert.ok(gaps.length - firstNew >= 3, 'three ticks on the new spacing');

    const instances = await second.getJson<Array<{ name: string }>>('/runtime/webhooks/durabletask/instances');
    assert.equal(instances.body.filter((i) => i.name === 'scheduleOrchestrator').length, 1, 'still one schedule instance');
    assert.equal((await second.stop()).code, 0);
  });
});
