/**
 * The event source's configuration, checked by the launcher before it starts anything: a bad SCHEDULE is then
 * reported as what it is (`configuration: SCHEDULE: "10x" is not an interval …`) and not as a host whose worker
 * could not load an entry point. The check sees what the host will see: the environment, local.settings.json's
 * Values for what it leaves unset, and the sink the launcher is about to start.
 */
import { loadConfig } from '../eventsource/config/config.js';
import { ConfigError } from '../eventsource/core/errors.js';
import { applyLocalSettings, readLocalSettings } from '../host/local-settings.js';

/** Throws a one-line `configuration: <VARIABLE>: <why>` for the first bad setting. */
export function checkConfiguration(appDir: string, env: NodeJS.ProcessEnv, plannedSink: string | undefined): void {
  const seen: NodeJS.ProcessEnv = { ...env };
  applyLocalSettings(readLocalSettings(appDir).values, seen);
  if (plannedSink !== undefined) seen.K_SINK = plannedSink;
  try {
    loadConfig(seen);
  } catch (error) {
    if (error instanceof ConfigError) throw new Error(`configuration: ${error.message}`, { cause: error });
    throw error;
  }
}
