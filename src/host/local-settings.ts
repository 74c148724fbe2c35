import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { HostError } from './host-error.js';

export interface LocalSettings {
  values: Record<string, string>;
  /** Host.LocalHttpPort, when set. */
  localHttpPort: number | undefined;
}

/** Reads the app's local.settings.json as `func start` does (absent file: nothing). */
export function readLocalSettings(appDir: string): LocalSettings {
  const file = path.join(appDir, 'local.settings.json');
  if (!existsSync(file)) return { values: {}, localHttpPort: undefined };
  let root: unknown;
  try {
    root = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new HostError('BAD_LOCAL_SETTINGS', `${file} is not valid JSON: ${(err as Error).message}`);
  }
  const obj = (typeof root === 'object' && root !== null ? root : {}) as { Values?: unknown; Host?: { LocalHttpPort?: unknown } };
  const values: Record<string, string> = {};
  if (obj.Values !== undefined) {
    if (typeof obj.Values !== 'object' || obj.Values === null) throw new HostError('BAD_LOCAL_SETTINGS', `${file}: Values must be an object`);
    for (const [key, value] of Object.entries(obj.Values as Record<string, unknown>)) {
      if (value === null || value === undefined) continue;
      values[key] = typeof value === 'string' ? value : JSON.stringify(value);
    }
  }
  const port = obj.Host?.LocalHttpPort;
  return { values, localHttpPort: typeof port === 'number' ? port : undefined };
}

/** Copies settings into `env` for keys not already set (real environment variables win, as with func). */
export function applyLocalSettings(values: Record<string, string>, env: NodeJS.ProcessEnv = process.env): string[] {
  const applied: string[] = [];
  for (const [key, value] of Object.entries(values)) {
    if (env[key] === undefined) {
      env[key] = value;
      applied.push(key);
    }
  }
  return applied;
}
