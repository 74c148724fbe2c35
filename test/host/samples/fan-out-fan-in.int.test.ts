/**
 * The samples' fan-out/fan-in (backupSiteContent over 75 files) on the embedded host: every item copied exactly
 * once, the sizes summed.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startSamples, sleep, type SamplesEnv } from './samples-env.js';

let s: SamplesEnv;
before(async () => {
  s = await startSamples('SamplesFanOut');
});
after(async () => s?.teardown());

test('backupSiteContent copies 75 files in parallel and returns their total size', async () => {
  const id = await s.client.startNew('backupSiteContent', { instanceId: 'backup-75', input: { count: 75 } });
  const done = await s.settle(id, 'Completed', 30_000);
  // Sizes are 100 + i for i in 0..74.
  assert.deepEqual(done.output, { files: 75, totalBytes: 75 * 100 + (74 * 75) / 2 });
  const copied = await s.world<string[]>('copies/backup-75');
  assert.equal(copied.length, 75, 'each file copied once');
  assert.equal(new Set(copied).size, 75);
});

test('two backups at once do not mix their items', async () => {
  const [a, b] = await Promise.all([
    s.client.startNew('backupSiteContent', { instanceId: 'backup-a', input: { count: 10 } }),
    s.client.startNew('backupSiteContent', { instanceId: 'backup-b', input: { count: 20 } }),
  ]);
  assert.deepEqual((await s.settle(a, 'Completed')).output, { files: 10, totalBytes: 10 * 100 + 45 });
  assert.deepEqual((await s.settle(b, 'Completed')).output, { files: 20, totalBytes: 20 * 100 + 190 });
  assert.equal((await s.world<string[]>('copies/backup-a')).length, 10);
  assert.equal((await s.world<string[]>('copies/backup-b')).length, 20);
});

test('without an input the orchestration fails with the message it threw', async () => {
  const id = await s.client.startNew('backupSiteContent', { instanceId: 'backup-none' });
  const failed = await s.settle(id, 'Failed');
  assert.match(String(failed.output), /^Orchestrator function 'backupSiteContent' failed: .*A directory input is required\./);
});

test('one failing copy among 75 fails the orchestration with that failure; the other copies still ran', async () => {
  const id = await s.client.startNew('backupSiteContent', { instanceId: 'backup-fails', input: { count: 75, failOn: 'file-040.txt' } });
  const failed = await s.settle(id, 'Failed', 30_000);
  assert.match(String(failed.output), /^Orchestrator function 'backupSiteContent' failed: .*disk full while copying file-040\.txt/s);
  const deadline = Date.now() + 10_000;
  // Activities already scheduled are not cancelled by the failure (as on the extension): 74 copies land.
  while ((await s.world<string[]>('copies/backup-fails')).length < 74) {
    if (Date.now() > deadline) throw new Error('the other copies did not all run');
    await sleep(25);
  }
  assert.ok(!(await s.world<string[]>('copies/backup-fails')).includes('file-040.txt'));
});
