import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { DurableConfigError, validateTaskHubName, type EngineTuning } from '../durable/index.js';
import { resolveAppSettings } from './app-settings.js';
import { HostError } from './host-error.js';

/** The host.json settings the embedded host honours. */
export interface HostJsonSettings {
  /**
   * extensions.durableTask.hubName with %SETTING% references resolved; undefined when absent. Resolved on demand,
   * so that a host given its hub name explicitly does not need the setting.
   */
  hubName(): string | undefined;
  overridableExistingInstanceStates: 'NonRunningStates' | 'AnyState' | undefined;
  /** extensions.http.routePrefix; default `api`, may be empty. */
  routePrefix: string;
  /**
   * extensions.durableTask.maxConcurrentOrchestratorFunctions / maxConcurrentActivityFunctions (the Durable
   * extension's names), under the engine's: orchestration steps and activities that run at once; absent: the
   * engine's defaults.
   */
  concurrency: Pick<EngineTuning, 'maxConcurrentSteps' | 'maxConcurrentActivities'>;
  /**
   * extensions.durableTask.storageProvider.partitionCount (the Azure Storage provider's name, 1-16): the partitions a
   * new task hub spreads its instances over; absent: the engine's default.
   */
  partitionCount: number | undefined;
}

type Json = Record<string, unknown>;

function objectAt(parent: Json | undefined, key: string, where: string): Json | undefined {
  const value = parent?.[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw new HostError('BAD_HOST_JSON', `host.json ${where} must be an object`);
  return value as Json;
}

function stringAt(parent: Json | undefined, key: string, where: string): string | undefined {
  const value = parent?.[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new HostError('BAD_HOST_JSON', `host.json ${where} must be a string`);
  return value;
}

/** The most either concurrency setting may say: far beyond what one process can use, short of a typo's 10^9. */
const MAX_CONCURRENCY = 10_000;

function concurrencyAt(parent: Json | undefined, key: string): number | undefined {
  const value = parent?.[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_CONCURRENCY) {
    throw new HostError('BAD_HOST_JSON', `host.json extensions.durableTask.${key} must be a whole number from 1 to ${MAX_CONCURRENCY}, not ${JSON.stringify(value)}`);
  }
  return value;
}

/** As the Azure Storage provider allows it. */
const MAX_PARTITIONS = 16;

function partitionCountAt(storageProvider: Json | undefined): number | undefined {
  const value = storageProvider?.partitionCount;
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_PARTITIONS) {
    throw new HostError('BAD_HOST_JSON', `host.json extensions.durableTask.storageProvider.partitionCount must be a whole number from 1 to ${MAX_PARTITIONS}, not ${JSON.stringify(value)}`);
  }
  return value;
}

/** The task hub name a setting gives, by the engine's rule (Azure Storage's); `where` names the setting. */
export function taskHubNameSetting(name: string, where: string): string {
  try {
    return validateTaskHubName(name, where);
  } catch (error) {
    if (error instanceof DurableConfigError) throw new HostError('BAD_TASK_HUB', error.message);
    throw error;
  }
}

/** Default task hub name when neither the caller nor host.json names one (as `func start` uses locally). */
export const DEFAULT_TASK_HUB = 'TestHubName';

/**
 * The task hub: `explicit` (the TaskHubName setting) when given, else host.json's hubName, else DEFAULT_TASK_HUB;
 * an error names the setting it came from (host.json names its own field when it reads it).
 */
export function taskHubNameOf(explicit: string | undefined, hostJson: HostJsonSettings): string {
  return explicit !== undefined
    ? taskHubNameSetting(explicit, 'TaskHubName')
    : taskHubNameSetting(hostJson.hubName() ?? DEFAULT_TASK_HUB, 'host.json extensions.durableTask.hubName');
}

/** Reads the app's host.json (absent file: defaults). */
export function readHostJson(appDir: string, env: NodeJS.ProcessEnv = process.env): HostJsonSettings {
  const file = path.join(appDir, 'host.json');
  let root: Json = {};
  if (existsSync(file)) {
    try {
      const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      root = parsed as Json;
    } catch (err) {
      throw new HostError('BAD_HOST_JSON', `${file} is not a valid JSON object: ${(err as Error).message}`);
    }
  }
  const extensions = objectAt(root, 'extensions', 'extensions');
  const http = objectAt(extensions, 'http', 'extensions.http');
  const durable = objectAt(extensions, 'durableTask', 'extensions.durableTask');

  const rawHub = stringAt(durable, 'hubName', 'extensions.durableTask.hubName');
  const hubName = (): string | undefined =>
    rawHub === undefined
      ? undefined
      : taskHubNameSetting(
          resolveAppSettings(rawHub, 'host.json extensions.durableTask.hubName', env),
          'host.json extensions.durableTask.hubName',
        );

  const rawStates = stringAt(durable, 'overridableExistingInstanceStates', 'extensions.durableTask.overridableExistingInstanceStates');
  let overridableExistingInstanceStates: HostJsonSettings['overridableExistingInstanceStates'];
  if (rawStates !== undefined) {
    const lower = rawStates.toLowerCase();
    if (lower === 'nonrunningstates') overridableExistingInstanceStates = 'NonRunningStates';
    else if (lower === 'anystate') overridableExistingInstanceStates = 'AnyState';
    else {
      throw new HostError(
        'BAD_HOST_JSON',
        `host.json extensions.durableTask.overridableExistingInstanceStates must be NonRunningStates or AnyState, not "${rawStates}"`,
      );
    }
  }

  const rawPrefix = stringAt(http, 'routePrefix', 'extensions.http.routePrefix');
  const routePrefix = (rawPrefix ?? 'api').replace(/^\/+|\/+$/g, '');
  const maxConcurrentSteps = concurrencyAt(durable, 'maxConcurrentOrchestratorFunctions');
  const maxConcurrentActivities = concurrencyAt(durable, 'maxConcurrentActivityFunctions');
  const concurrency = {
    ...(maxConcurrentSteps !== undefined ? { maxConcurrentSteps } : {}),
    ...(maxConcurrentActivities !== undefined ? { maxConcurrentActivities } : {}),
  };
  const storageProvider = objectAt(durable, 'storageProvider', 'extensions.durableTask.storageProvider');
  const partitionCount = partitionCountAt(storageProvider);
  return { hubName, overridableExistingInstanceStates, routePrefix, concurrency, partitionCount };
}
