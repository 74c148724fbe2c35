import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseTimerSchedule } from '../../../src/host/timer/timer-schedule.js';
import { TimerScheduler } from '../../../src/host/timer/timer-scheduler.js';
import { VirtualClock } from '../../../src/durable/clock/virtual-clock.js';
import { AppInvoker } from '../../../src/host/worker/app-invoker.js';
import { loadApp, releaseApp } from '../../../src/host/worker/load-app.js';
import { captureLogger, fixtureDir } from '../capture-logger.js';

const START = Date.UTC(2030, 0, 1, 0, 0, 0, 500);

async function readJson(invoker: AppInvoker, name: string): Promise<unknown> {
  const fn = invoker.app.get(name);
  assert.ok(fn);
  const out = await invoker.invokeHttp(fn, { method: 'GET', url: `http://127.0.0.1/api/${name}`, headers: {}, params: {} });
  return JSON.parse(Buffer.from(out?.body?.bytes ?? new Uint8Array()).toString('utf8'));
}

interface Tick {
  isPastDue: boolean;
  next: string;
  last: string;
  lastUpdated: string;
}

test('NCRONTAB with seconds, five-field cron, and TimeSpan schedules', () => {
  const t = Date.UTC(2030, 0, 1, 10, 0, 3);
  assert.equal(new Date(parseTimerSchedule('*/5 * * * * *', 'f').nextAfter(t)).toISOString(), '2030-01-01T10:00:05.000Z');
  assert.equal(new Date(parseTimerSchedule('0 30 9 * * Mon-Fri', 'f').nextAfter(t)).toISOString(), '2030-01-02T09:30:00.000Z');
  assert.equal(new Date(parseTimerSchedule('0 */5 * * * *', 'f').nextAfter(t)).toISOString(), '2030-01-01T10:05:00.000Z');
  assert.equal(new Date(parseTimerSchedule('*/15 * * * *', 'f').nextAfter(t)).toISOString(), '2030-01-01T10:15:00.000Z');
  assert.equal(parseTimerSchedule('00:00:10', 'f').nextAfter(t) - t, 10_000);
  assert.equal(parseTimerSchedule('1.00:00:00', 'f').nextAfter(t) - t, 86_400_000);
  assert.throws(() => parseTimerSchedule('every minute', 'myTimer'), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'BAD_SCHEDULE');
    assert.match(err.message, /myTimer/);
    return true;
  });
});

test('runOnStartup fires at once; then the timer fires only as the virtual clock reaches each second', async () => {
  const app = await loadApp(fixtureDir('sample-app'), { logger: captureLogger('warn').logger });
  const invoker = new AppInvoker(app);
  const clock = new VirtualClock(START);
  const scheduler = new TimerScheduler(invoker.functionsOfType('timerTrigger'), { invoker, clock, logger: captureLogger('warn').logger });
  try {
    scheduler.start();
    await clock.advanceBy(0); // lets the startup run happen without moving time
    let ticks = (await readJson(invoker, 'ticks')) as Tick[];
    assert.equal(ticks.length, 1, 'runOnStartup');
    assert.equal(ticks[0]?.isPastDue, false);
    assert.equal(ticks[0]?.next, '2030-01-01T00:00:01.000Z');

    await clock.advanceBy(400); // 00:00:00.900: not yet
    assert.equal(((await readJson(invoker, 'ticks')) as Tick[]).length, 1);

    await clock.advanceBy(100); // 00:00:01.000
    ticks = (await readJson(invoker, 'ticks')) as Tick[];
    assert.equal(ticks.length, 2);
    assert.equal(ticks[1]?.lastUpdated, '2030-01-01T00:00:01.000Z');
    assert.equal(ticks[1]?.next, '2030-01-01T00:00:02.000Z');
    assert.equal(ticks[1]?.isPastDue, false);

    await clock.advanceBy(3_000); // 00:00:04.000: three more
    ticks = (await readJson(invoker, 'ticks')) as Tick[];
    assert.deepEqual(ticks.slice(2).map((t) => t.lastUpdated), ['2030-01-01T00:00:02.000Z', '2030-01-01T00:00:03.000Z', '2030-01-01T00:00:04.000Z']);
    assert.equal(ticks[4]?.last, '2030-01-01T00:00:03.000Z');

    await scheduler.stop();
    await clock.advanceBy(5_000);
    assert.equal(((await readJson(invoker, 'ticks')) as Tick[]).length, 5, 'no ticks after stop');
  } finally {
    await scheduler.stop();
    releaseApp(app);
  }
});

test('a failing timer is logged and keeps its schedule; schedules may come from app settings', async () => {
  const app = await loadApp(fixtureDir('timer-app'), { logger: captureLogger('warn').logger });
  const invoker = new AppInvoker(app);
  const clock = new VirtualClock(START);
  const { logger, lines } = captureLogger('warn');
  const env = { TIMER_APP_SCHEDULE: '*/3 * * * * *' };
  assert.throws(() => new TimerScheduler(invoker.functionsOfType('timerTrigger'), { invoker, clock, logger, env: {} }), {
    code: 'MISSING_APP_SETTING',
  });
  const scheduler = new TimerScheduler(invoker.functionsOfType('timerTrigger'), { invoker, clock, logger, env });
  try {
    scheduler.start();
    await clock.advanceBy(6_000); // to 00:00:06.5: failing at 2, 4, 6; fromSetting at 3, 6
    assert.deepEqual(await readJson(invoker, 'counts'), { failing: 3, fromSetting: 2 });
    const errors = lines.filter((l) => l.level === 50 && l.function === 'failing');
    assert.equal(errors.length, 3);
    assert.match(JSON.stringify(errors[0]), /timer boom/);
  } finally {
    await scheduler.stop();
    releaseApp(app);
  }
});
