import { HostError } from './host-error.js';

/** Parses `Key=Value;...` (keys case-insensitive). */
export function parseConnectionString(connectionString: string): Map<string, string> {
  const parts = new Map<string, string>();
  for (const piece of connectionString.split(';')) {
    const eq = piece.indexOf('=');
    if (eq <= 0) continue;
    parts.set(piece.slice(0, eq).trim().toLowerCase(), piece.slice(eq + 1).trim());
  }
  return parts;
}

/** A loggable description of a storage connection string: account and table endpoint, never the key. */
export function describeConnectionString(connectionString: string): string {
  const parts = parseConnectionString(connectionString);
  const account = parts.get('accountname') ?? '(no account name)';
  const endpoint =
    parts.get('tableendpoint') ??
    `${parts.get('defaultendpointsprotocol') ?? 'https'}://${account}.table.${parts.get('endpointsuffix') ?? 'core.windows.net'}`;
  return `account ${account} at ${endpoint}`;
}

/** Checks the shape of a storage connection string once at start-up; the message names the setting, never the value. */
export function validateConnectionString(connectionString: string, settingName: string): void {
  const parts = parseConnectionString(connectionString);
  if (!parts.get('accountname') || !parts.get('accountkey')) {
    throw new HostError('BAD_CONNECTION_STRING', `${settingName} must be a storage connection string with AccountName and AccountKey (or UseDevelopmentStorage=true)`);
  }
}
