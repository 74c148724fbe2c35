/**
 * `npm run hub:upgrade` end to end: the built command against Azurite with its settings from the environment and
 * host.json, as a user runs it; and the one line a host start ends with on a hub whose upgrade did not finish.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { createAzureTablesStore } from '../../src/durable/store/azure-tables/azure-tables-store.js';
import { HubTable } from '../../src/durable/store/azure-tables/table-store.js';
import { HUB_PARTITION, LAYOUT_ROW } from '../../src/durable/keys.js';
import { newExecution } from '../../src/durable/instance-start.js';
import { VirtualClock } from '../../src/durable/clock/virtual-clock.js';
import { freePort } from '../../src/host/storage/azurite.js';
import { useAzurite } from '../support/azurite.js';
import { HostProcess, REPO_ROOT } from '../support/host-process.js';
import { testLogger, uniqueHub } from '../durable/harness.js';
import { tempFixtureApp } from './capture-logger.js';

const azurite = useAzurite();
const UPGRADE = path.join(REPO_ROOT, 'dist', 'src', 'host', 'hub-upgrade-main.js');
const control = { stopping: () => false, budgetMs: 10_000 };

/** A command's exit code and output (the upgrade's log lines), in a clean environment of `env`. */
async function ran(file: string, args: string[], env: Record<string, string>, cwd?: string): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(file, args, { cwd, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, timeout: 120_000 });
    return { code: 0, output: stdout + stderr };
  } catch (err) {
    const failed = err as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

/** The built command on the app folder `appDir`. */
const upgrade = (appDir: string, env: Record<string, string>): Promise<{ code: number; output: string }> => ran(process.execPath, [UPGRADE, appDir], env);

/** `npm run hub:upgrade` in the repository (its host.json and local.settings.json), as docs/operations.md says to run it. */
const npmRun = (env: Record<string, string>): Promise<{ code: number; output: string }> =>
  ran('npm', ['run', '--silent', 'hub:upgrade'], { PATH: `${path.dirname(process.execPath)}:${process.env.PATH ?? ''}`, ...env }, REPO_ROOT);

/** A hub as an earlier version left it: its layout row says `hashed`, its instances have a partition each. */
async function hashedHub(ids: string[]): Promise<string> {
  const hub = uniqueHub('cmd');
  const table = new HubTable(azurite.connectionString, hub, testLogger(), control);
  await table.ensureTable();
  await table.transact([['create', { partitionKey: HUB_PARTITION, rowKey: LAYOUT_ROW, InstanceRows: 'hashed' }]]);
  const store = createAzureTablesStore(azurite.connectionString, hub, testLogger(), control);
  const clock = new VirtualClock();
  for (const id of ids) {
    const started = newExecution(clock, id, 'Orch', '1', clock.now(), undefined);
    await store.startInstance(started.record, started.start);
  }
  return hub;
}

test('npm run hub:upgrade moves a hub into host.json partitionCount partitions, says so, and says when there is nothing to do', async () => {
  const hub = await hashedHub(['one', 'two', 'three']);
  const env = { AzureWebJobsStorage: azurite.connectionString, TaskHubName: hub };
  const app = tempFixtureApp('sample-app/functions/http.js', { version: '2.0', extensions: { durableTask: { storageProvider: { partitionCount: 2 } } } }, 'hub-upgrade-');
  const ran = await upgrade(app, env);
  assert.equal(ran.code, 0, ran.output);
  assert.match(ran.output, new RegExp(`task hub ${hub}: moved 3 instances \\(6 rows\\) from its hashed layout into 2 shared partitions in [\\d.]+ s; start the hosts`));
  const layout = await new HubTable(azurite.connectionString, hub, testLogger(), control).get(HUB_PARTITION, LAYOUT_ROW);
  assert.deepEqual([layout?.InstanceRows, layout?.Partitions], ['grouped', 2]);
  const store = createAzureTablesStore(azurite.connectionString, hub, testLogger(), control);
  assert.deepEqual((await store.listInstanceIds({})).sort(), ['one', 'three', 'two']);

  const again = await npmRun(env);
  assert.equal(again.code, 0, again.output);
  assert.match(again.output, new RegExp(`task hub ${hub}: nothing to do \\(it has shared partitions already\\)`));
  assert.ok(!again.output.includes('AccountKey'), 'no connection string in the output');
});

test('a bad setting stops the command with one line naming it; a host meets an unfinished upgrade with one line', async () => {
  const hub = await hashedHub(['x']);
  const env = { AzureWebJobsStorage: azurite.connectionString, TaskHubName: hub };
  const bad = tempFixtureApp('sample-app/functions/http.js', { version: '2.0', extensions: { durableTask: { storageProvider: { partitionCount: 40 } } } }, 'hub-upgrade-');
  const refused = await upgrade(bad, env);
  assert.equal(refused.code, 1);
  assert.match(refused.output, /hub upgrade failed: host\.json extensions\.durableTask\.storageProvider\.partitionCount must be a whole number from 1 to 16, not 40 \[BAD_HOST_JSON\]/);
  const unset = await upgrade(bad, { TaskHubName: hub });
  assert.match(unset.output, /hub upgrade failed: AzureWebJobsStorage is not set/);

  // An upgrade that stopped half-way: the layout row says so.
  const table = new HubTable(azurite.connectionString, hub, testLogger(), control);
  await table.transact([['upsert', { partitionKey: HUB_PARTITION, rowKey: LAYOUT_ROW, InstanceRows: 'upgrading', From: 'hashed', Partitions: 2 }, 'Replace']]);
  const host = HostProcess.spawn({ env, port: await freePort(), appDir: tempFixtureApp('sample-app/functions/http.js', { version: '2.0' }, 'hub-upgrade-host-') });
  try {
    const exit = await new Promise<number | null>((resolve) => host.child.once('exit', (code) => resolve(code)));
    assert.equal(exit, 1);
    assert.match(host.lines.join('\n'), new RegExp(`host failed to start: task hub ${hub} is being upgraded to shared partitions and the upgrade has not finished: run the hub upgrade \\(npm run hub:upgrade\\) again to finish it`));
  } finally {
    await host.dispose();
  }
  const good = tempFixtureApp('sample-app/functions/http.js', { version: '2.0' }, 'hub-upgrade-');
  const finished = await upgrade(good, env);
  assert.equal(finished.code, 0, finished.output);
  assert.match(finished.output, /finishing an interrupted upgrade to 2 partitions \(not 4\)/);
  assert.match(finished.output, /moved 1 instances \(2 rows\) from its hashed layout into 2 shared partitions/);
});
