/**
 * The samples' human interaction (SMS phone verification) on the embedded host: a challenge code is "sent", the
 * answer is an external event raced against a deadline timer (short real timers).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSamples, sleep, type SamplesEnv } from './samples-env.js';

let s: SamplesEnv;
before(async () => {
  s = await startSamples('SamplesHuman');
});
after(async () => s?.teardown());

/** The code the challenge activity texted to `phone` (waits for the text). */
async function codeSentTo(phone: string): Promise<number> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const texts = await s.world<string[]>(`sms/${encodeURIComponent(phone)}`);
    const match = /code is (\d+)/.exec(texts[0] ?? '');
    if (match) return Number(match[1]);
    if (Date.now() > deadline) throw new Error(`no code texted to ${phone}`);
    await sleep(25);
  }
}

async function answers(id: string, count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (((await s.client.getStatus(id)).customStatus as { answers?: number } | null)?.answers !== count) {
    if (Date.now() > deadline) throw new Error(`${id} never counted ${count} answers`);
    await sleep(25);
  }
}

test('the right code in time: authorized, the deadline timer cancelled', async () => {
  const started = Date.now();
  const id = await s.client.startNew('smsPhoneVerification', { input: { phone: '+1-555-0100', timeoutMs: 60_000 } });
  const code = await codeSentTo('+1-555-0100');
  await s.client.raiseEvent(id, 'SmsChallengeResponse', code);
  const done = await s.settle(id, 'Completed');
  assert.deepEqual(done.output, { authorized: true, answers: 1 });
  assert.ok(Date.now() - started < 30_000, 'did not wait for the minute-long deadline');
});

test('wrong answers, then the right one: authorized on the third try', async () => {
  const id = await s.client.startNew('smsPhoneVerification', { input: { phone: '+1-555-0101', timeoutMs: 60_000 } });
  const code = await codeSentTo('+1-555-0101');
  await s.client.raiseEvent(id, 'SmsChallengeResponse', code + 1);
  await answers(id, 1);
  await s.client.raiseEvent(id, 'SmsChallengeResponse', -1);
  await answers(id, 2);
  await s.client.raiseEvent(id, 'SmsChallengeResponse', code);
  assert.deepEqual((await s.settle(id, 'Completed')).output, { authorized: true, answers: 3 });
});

test('four wrong answers: not authorized, without waiting for the deadline', async () => {
  const id = await s.client.startNew('smsPhoneVerification', { input: { phone: '+1-555-0102', timeoutMs: 60_000 } });
  const code = await codeSentTo('+1-555-0102');
  for (let i = 1; i <= 4; i++) {
    await s.client.raiseEvent(id, 'SmsChallengeResponse', code + i);
    if (i < 4) await answers(id, i);
  }
  assert.deepEqual((await s.settle(id, 'Completed')).output, { authorized: false, answers: 4 });
});

test('no answer: the deadline timer wins and the orchestration completes unauthorized', async () => {
  const started = Date.now();
  const id = await s.client.startNew('smsPhoneVerification', { input: { phone: '+1-555-0103', timeoutMs: 500 } });
  await codeSentTo('+1-555-0103');
  const done = await s.settle(id, 'Completed');
  assert.deepEqual(done.output, { authorized: false, answers: 0 });
  assert.ok(Date.now() - started >= 500, 'not before the deadline');
});

test('an answer after the deadline changes nothing', async () => {
  const id = await s.client.startNew('smsPhoneVerification', { input: { phone: '+1-555-0104', timeoutMs: 300 } });
  const code = await codeSentTo('+1-555-0104');
  await s.settle(id, 'Completed');
  await s.client.raiseEvent(id, 'SmsChallengeResponse', code);
  await sleep(200);
  const after = await s.client.getStatus(id);
  assert.equal(after.runtimeStatus, 'Completed');
  assert.deepEqual(after.output, { authorized: false, answers: 0 });
});

test('without a phone number the orchestration fails', async () => {
  const id = await s.client.startNew('smsPhoneVerification', { input: {} });
  const failed = await s.settle(id, 'Failed');
  assert.match(String(failed.output), /A phone number input is required\./);
});
