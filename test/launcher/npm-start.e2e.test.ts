/**
 * The README's main command as a user runs it: the launcher starts Azurite (data in a folder), hello-events and
 * the embedded host; events flow into hello-events; Ctrl-C (SIGINT) stops everything with exit 0 and leaves no
 * process behind; a second start on the same data continues the sequence.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../../src/host/storage/azurite.js';
import { LauncherRun } from '../support/launcher-run.js';

function launch(env: NodeJS.ProcessEnv): LauncherRun {
  return new LauncherRun({ ...process.env, ...env });
}

function receivedSequences(lines: string[]): number[] {
  return lines
    .filter((line) => line.includes('[hello-events] event received'))
    .map((line) => Number(/"sequence":"(\d+)"/.exec(line)?.[1]));
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

test('npm start: events flow into hello-events, Ctrl-C stops cleanly, a restart continues the sequence', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'des-start-'));
  const ports = { FUNCTIONS_PORT: await freePort(), HELLO_EVENTS_PORT: await freePort(), AZURITE_TABLE_PORT: await freePort() };
  const env = {
    DATA_DIR: dataDir,
    FUNCTIONS_PORT: String(ports.FUNCTIONS_PORT),
    HELLO_EVENTS_PORT: String(ports.HELLO_EVENTS_PORT),
    AZURITE_TABLE_PORT: String(ports.AZURITE_TABLE_PORT),
    SCHEDULE: '1s',
    K_SINK: '',
    SINK: '',
    AzureWebJobsStorage: '',
    TaskHubName: 'LauncherTest',
  };
  const runs: LauncherRun[] = [];
  try {
    const first = launch(env);
    runs.push(first);
    await first.waitForLine(/\[start\] events flowing/, 60_000);
    const ready = await first.waitForLine(/\[start\] ready in \d+\.\d s$/, 1_000);
    assert.ok(Number(/ready in ([\d.]+) s/.exec(ready)?.[1]) > 0, `the ready time is printed: ${ready}`);
    const status = await fetch(`http://127.0.0.1:${ports.FUNCTIONS_PORT}/api/schedules/default`);
    assert.equal(status.status, 200);
    await first.waitForLine(/"sequence":"0000000000000002"/, 20_000);
    first.child.kill('SIGINT');
    assert.equal(await first.exited, 0, 'Ctrl-C exits 0');
    await first.waitForLine(/\[start\] stopped/, 1_000);
    assert.equal(first.lines.filter((l) => /did not stop within/.test(l)).length, 0, 'every component stopped on its own');
    const before = receivedSequences(first.lines);
    assert.deepEqual(before, before.map((_, i) => i + 1), 'sequence 1..n, no gap');
    // No component outlives the launcher: nothing listens on their ports any more.
    for (const [name, port] of Object.entries(ports)) assert.equal(await listening(port), false, `${name} ${port} is closed`);

    const second = launch(env);
    runs.push(second);
    await second.waitForLine(/\[start\] events flowing/, 60_000);
    await second.waitForLine(/\[hello-events\] event received/, 20_000);
    const after = receivedSequences(second.lines);
    assert.equal(after[0], Math.max(...before) + 1, 'the sequence continues where the first run stopped');
    second.child.kill('SIGINT');
    assert.equal(await second.exited, 0);
  } finally {
    for (const run of runs) if (run.child.exitCode === null) run.child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
});
