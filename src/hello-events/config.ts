import { DEFAULT_DEDUP, type DedupSettings } from './dedup-window.js';

export interface HelloEventsConfig {
  readonly port: number;
  readonly host: string;
  readonly dedup: DedupSettings;
}

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'ConfigError';
  }
}

/** Upper bounds that keep the window's memory small (about 150 bytes a pair: 1,000,000 pairs ≈ 150 MB at most). */
const MAX_DEDUP_ENTRIES = 1_000_000;
const MAX_DEDUP_SECONDS = 7 * 24 * 3600;

/**
 * Reads, once, at start-up: PORT (default 8080), HOST (default 0.0.0.0), DEDUP_WINDOW_SIZE (how many recent
 * (source, id) pairs are remembered, default 10000) and DEDUP_WINDOW_SECONDS (how long one is remembered, default
 * 3600).
 */
export function readConfig(env: NodeJS.ProcessEnv): HelloEventsConfig {
  const port = integerSetting(env, 'PORT', 8080, 0, 65535);
  const host = env['HOST'] ?? '0.0.0.0';
  if (host.trim() === '') throw new ConfigError('HOST', 'must not be empty');
  const maxEntries = integerSetting(env, 'DEDUP_WINDOW_SIZE', DEFAULT_DEDUP.maxEntries, 1, MAX_DEDUP_ENTRIES);
  const seconds = integerSetting(env, 'DEDUP_WINDOW_SECONDS', DEFAULT_DEDUP.maxAgeMs / 1000, 1, MAX_DEDUP_SECONDS);
  return { port, host, dedup: { maxEntries, maxAgeMs: seconds * 1000 } };
}

function integerSetting(env: NodeJS.ProcessEnv, field: string, fallback: number, min: number, max: number): number {
  const raw = env[field] ?? String(fallback);
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(field, `must be an integer from ${min} to ${max}, got ${JSON.stringify(raw)}`); // quoted: one line, whatever the value holds
  }
  return value;
}
