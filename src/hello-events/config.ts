export interface HelloEventsConfig {
  readonly port: number;
  readonly host: string;
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

/** Reads PORT (default 8080) and HOST (default 0.0.0.0), once, at start-up. */
export function readConfig(env: NodeJS.ProcessEnv): HelloEventsConfig {
  const rawPort = env['PORT'] ?? '8080';
  const port = Number(rawPort);
  if (!/^\d+$/.test(rawPort) || !Number.isInteger(port) || port > 65535) {
    throw new ConfigError('PORT', `must be an integer from 0 to 65535, got "${rawPort}"`);
  }
  const host = env['HOST'] ?? '0.0.0.0';
  if (host.trim() === '') throw new ConfigError('HOST', 'must not be empty');
  return { port, host };
}
