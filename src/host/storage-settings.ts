import { connectionStringFor } from './storage/azurite.js';
import { parseConnectionString } from '../durable/index.js';
import { validateConnectionString } from './connection-string.js';
import { HostError } from './host-error.js';

/** Azurite's default table and blob ports, which `UseDevelopmentStorage=true` means. */
export const DEV_STORAGE_TABLE_PORT = 10002;
export const DEV_STORAGE_BLOB_PORT = 10000;

/**
 * Resolves the AzureWebJobsStorage setting to a connection string: `UseDevelopmentStorage=true` is Azurite's
 * well-known dev account on 127.0.0.1:10002 for tables and :10000 for blobs (or the DevelopmentStorageProxyUri host). Errors name the setting only.
 */
export function resolveStorageConnection(value: string | undefined, settingName = 'AzureWebJobsStorage'): string {
  if (value === undefined || value.trim() === '') {
    throw new HostError('MISSING_SETTING', `${settingName} is not set (use a storage connection string, or UseDevelopmentStorage=true for Azurite)`);
  }
  const parts = parseConnectionString(value);
  if (parts.get('usedevelopmentstorage')?.toLowerCase() === 'true') {
    const proxy = parts.get('developmentstorageproxyuri');
    let host = '127.0.0.1';
    if (proxy) {
      try {
        host = new URL(proxy).hostname;
      } catch {
        throw new HostError('BAD_CONNECTION_STRING', `${settingName}: DevelopmentStorageProxyUri is not a URL`);
      }
    }
    return connectionStringFor(DEV_STORAGE_TABLE_PORT, host, DEV_STORAGE_BLOB_PORT);
  }
  validateConnectionString(value, settingName);
  return value;
}
