/**
 * `npm run hub:upgrade` (`node dist/src/host/hub-upgrade-main.js [appDir]`): moves the instances of a task hub an
 * earlier version created (one partition per instance) into the shared partitions this version's hubs have, so that
 * their steps commit together (src/durable/store/azure-tables/hub-upgrade.ts). Run it with every host of the hub
 * stopped; it refuses while one runs. It reads its settings as the host does: AzureWebJobsStorage and TaskHubName
 * from the environment or local.settings.json, the hub name and partitionCount from host.json.
 */
import { DEFAULT_PARTITIONS, HubInUseError, upgradeTaskHub, type HubUpgradeResult } from '../durable/index.js';
import { describeConnectionString, describeStorageAuthFailure } from './connection-string.js';
import { HostError } from './host-error.js';
import { readHostJson, taskHubNameOf } from './host-json.js';
import { createHostLogger } from './log-safety.js';
import { loadAppFolder, logLevel } from './process-settings.js';
import { resolveStorageConnection } from './storage-settings.js';

let logger = createHostLogger({ name: 'hub-upgrade' });

function summary(hub: string, result: HubUpgradeResult): string {
  const seconds = (result.ms / 1000).toFixed(1);
  if (result.outcome !== 'upgraded') return `hub upgrade: task hub ${hub}: nothing to do (${result.outcome === 'grouped' ? 'it has shared partitions already' : 'no engine ran on it yet'})`;
  return `hub upgrade: task hub ${hub}: moved ${result.instances} instances (${result.rows} rows) from its ${result.from ?? ''} layout into ${result.partitions ?? 0} shared partitions in ${seconds} s; start the hosts`;
}

async function main(): Promise<void> {
  const env = process.env;
  const { appDir } = loadAppFolder(process.argv, env);
  logger = createHostLogger({ level: logLevel(env), name: 'hub-upgrade' });
  const connectionString = resolveStorageConnection(env.AzureWebJobsStorage);
  const hostJson = readHostJson(appDir, env);
  const hub = taskHubNameOf(env.TaskHubName || undefined, hostJson);
  const partitionCount = hostJson.partitionCount ?? DEFAULT_PARTITIONS;
  logger.info(`hub upgrade: task hub ${hub}, storage: ${describeConnectionString(connectionString)}`);
  const result = await upgradeTaskHub(connectionString, hub, { partitionCount, logger });
  logger.info(summary(hub, result));
}

/** The one line a failure ends with: a setting's error names the setting. */
function failureLine(err: unknown): string {
  if (err instanceof HostError) return `${err.message} [${err.code}]`;
  if (err instanceof HubInUseError) return err.message;
  return describeStorageAuthFailure(err) ?? (err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err));
}

// Exits when done: the table client's pooled connections would keep the process waiting for their idle timeout.
main().then(
  () => process.exit(0),
  (err: unknown) => {
    logger.fatal(`hub upgrade failed: ${failureLine(err)}`);
    process.exit(1);
  },
);
