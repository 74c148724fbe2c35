import { parseConnectionString } from '../durable/index.js';
import { HostError } from './host-error.js';

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
  // An account key is base64 (what the portal shows); anything else can only be a copy-and-paste slip.
  if (!BASE64_KEY.test(parts.get('accountkey') ?? '')) {
    throw new HostError('BAD_CONNECTION_STRING', `${settingName}: AccountKey is not a base64 storage account key (check for a truncated or mangled copy)`);
  }
}

const BASE64_KEY = /^(?:[A-Za-z0-9+/]{4})+(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const AUTH_CODES = new Set(['AuthorizationFailure', 'AuthenticationFailed', 'InvalidAuthenticationInfo', 'AuthorizationPermissionMismatch']);

/**
 * One line for a storage error at start-up that means the connection string's credentials are wrong: the storage
 * service answers with a multi-line XML or JSON document, which says nothing about which setting to fix. Returns
 * undefined for any other error. (The host's start-up catch in main.ts is where this belongs.)
 */
export function describeStorageAuthFailure(error: unknown, settingName = 'AzureWebJobsStorage'): string | undefined {
  const { statusCode, code, message } = (error ?? {}) as { statusCode?: unknown; code?: unknown; message?: unknown };
  const text = typeof message === 'string' ? message : '';
  const named = typeof code === 'string' && AUTH_CODES.has(code) ? code : [...AUTH_CODES].find((c) => text.includes(`<Code>${c}</Code>`) || text.includes(`"${c}"`));
  if (statusCode !== 403 && named === undefined) return undefined;
  return `${settingName}: the storage account refused its credentials (HTTP ${typeof statusCode === 'number' ? statusCode : 403}${named ? ` ${named}` : ''}); check AccountName and AccountKey`;
}
