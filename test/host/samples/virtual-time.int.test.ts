/**
 * The samples' own timer lengths on the virtual clock (time skipping): the 90 s SMS deadline, the counter's 30 s
 * steps, a weather monitor over six hours. Virtual time moves only when the test says so, so the deadlines are
 * exact and take no real time.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSamples, sleep, type SamplesEnv } from './samples-env.js';

const START = Date.UTC(2030, 0, 15, 9, 0, 0);
let s: SamplesEnv;
before(async () => {
  s = await startSamples('SamplesVirtual', { timeSkipping: true, startTime: START });
});
after(async () => s?.teardown());

async function codeSentTo(phone: string): Promise<number> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    await s.env.advanceTime(0);
    const match = /code is (\d+)/.exec((await s.world<string[]>(`sms/${encodeURIComponent(phone)}`))[0] ?? '');
    if (match) return Number(match[1]);
    if (Date.now() > deadline) throw new Error(`no code texted to ${phone}`);
    await sleep(20);
  }
}

function statusUrl(id: string): string {
  return s.client.createHttpManagementPayload(id).statusQueryGetUri;
}

test('SMS verification: still waiting at 89 s, unauthorized at the 90 s deadline', async () => {
  const id = await s.client.startNew('smsPhoneVerification', { input: { phone: '+1-555-0200' } });
  await codeSentTo('+1-555-0200');
  const startedAt = s.env.clock.now();
  await s.env.advanceTime(89_000);
  assert.equal((await s.client.getStatus(id)).runtimeStatus, 'Running');
  await s.env.advanceTime(1_000);
  const done = await s.settle(id, 'Completed');
  assert.deepEqual(done.output, { authorized: false, answers: 0 });
  assert.equal(s.env.clock.now() - startedAt, 90_000);
});

test('SMS verification: the right code at 60 s is in time', async () => {
  const id = await s.client.startNew('smsPhoneVerification', { input: { phone: '+1-555-0201' } });
  const code = await codeSentTo('+1-555-0201');
  await s.env.advanceTime(60_000);
  await s.client.raiseEvent(id, 'SmsChallengeResponse', code);
  await s.env.advanceTime(0);
  assert.deepEqual((await s.settle(id, 'Completed')).output, { authorized: true, answers: 1 });
});

test('continueAsNewCounter with the sample\'s 30 s timers counts to 10 in five virtual minutes', async () => {
  const startedAt = s.env.clock.now();
  const id = await s.client.startNew('continueAsNewCounter', { input: { value: 0, until: 10, delayMs: 30_000 } });
  const done = await s.env.waitForCompletion<{ runtimeStatus: string; output: unknown; lastUpdatedTime: string }>(statusUrl(id));
  assert.equal(done.runtimeStatus, 'Completed');
  assert.equal(done.output, 10);
  assert.ok(Date.parse(done.lastUpdatedTime) - startedAt >= 300_000, `finished at ${done.lastUpdatedTime}`);
});

for (const orchestrator of ['weatherMonitor', 'weatherMonitorAsNew']) {
  test(`${orchestrator} over six hours with a check every 30 minutes: 12 checks, no alert`, async () => {
    const city = `virtual-${orchestrator}`;
    const id = await s.client.startNew(orchestrator, {
      input: { city, phone: '+1-555-0202', intervalMs: 30 * 60_000, expiresInMs: 6 * 60 * 60_000 },
    });
    const done = await s.env.waitForCompletion<{ runtimeStatus: string; output: unknown }>(statusUrl(id));
    assert.equal(done.runtimeStatus, 'Completed');
    assert.deepEqual(done.output, { alerted: false, checks: 12 });
    assert.equal((await s.world<{ checks: number }>(`weather/${city}`)).checks, 12);
  });
}
