import { rpcToken } from './auth.js';
import { creationLinks, INSTANCE_ID_PLACEHOLDER, managementLinks, requiredQueryString, WEBHOOK_PATH, type LinkSettings } from './urls.js';

/** The path prefix of the RPC form when a system key is set (see rpcToken): `${WEBHOOK_PATH}/rpc/{token}/`. */
export const RPC_SEGMENT = 'rpc';

export function rpcBasePath(systemKey: string | undefined): string {
  return systemKey === undefined ? `${WEBHOOK_PATH}/` : `${WEBHOOK_PATH}/${RPC_SEGMENT}/${rpcToken(systemKey)}/`;
}

/**
 * What the extension gives a `durableClient` binding (out-of-proc, HTTP form): creation and management url templates
 * (instance id as INSTANCEID), the webhook base url, the universal query string (the system key) and the RPC base,
 * which the stock client prefers for every call. The RPC paths are the webhook paths, so the RPC base is the webhook
 * base itself, or a key-derived sub-path when a key is set (the client cannot add a key to RPC calls).
 */
export function buildClientBindingData(baseOrigin: string, settings: LinkSettings): Record<string, unknown> {
  return {
    taskHubName: settings.taskHubName,
    creationUrls: creationLinks(baseOrigin, settings),
    managementUrls: managementLinks(baseOrigin, INSTANCE_ID_PLACEHOLDER, INSTANCE_ID_PLACEHOLDER, settings),
    baseUrl: `${baseOrigin}${WEBHOOK_PATH}`,
    requiredQueryStringParameters: requiredQueryString(settings),
    rpcBaseUrl: `${baseOrigin}${rpcBasePath(settings.systemKey)}`,
  };
}
