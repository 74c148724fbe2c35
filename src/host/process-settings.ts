/**
 * What a process of the embedded host reads first, before its logger exists: the host's main and the hub upgrade
 * read their app folder, local.settings.json and log level the same way.
 */
import path from 'node:path';
import { HostError } from './host-error.js';
import { applyLocalSettings, readLocalSettings, type LocalSettings } from './local-settings.js';

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** LOG_LEVEL is the one setting read before the logger exists: a bad one gets its own clear line. */
export function logLevel(env: NodeJS.ProcessEnv): string {
  const level = (env.LOG_LEVEL ?? '').trim() || 'info';
  if (!LEVELS.includes(level)) {
    throw new HostError('BAD_SETTING', `LOG_LEVEL must be one of ${LEVELS.join(', ')}, not "${level}"`);
  }
  return level;
}

/**
 * The app folder (the first argument, else FUNCTIONS_APP_DIR, else the working directory) and its
 * local.settings.json, whose Values fill unset variables of `env` as `func start` does.
 */
export function loadAppFolder(argv: readonly string[], env: NodeJS.ProcessEnv): { appDir: string; local: LocalSettings } {
  const appDir = path.resolve(argv[2] ?? env.FUNCTIONS_APP_DIR ?? process.cwd());
  const local = readLocalSettings(appDir);
  applyLocalSettings(local.values, env);
  return { appDir, local };
}
