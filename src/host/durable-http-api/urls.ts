/** Where the extension's webhooks live on the host, and the links it hands out. */

export const WEBHOOK_PATH = '/runtime/webhooks/durabletask';
/** The extension's placeholder for the instance id in the binding data's management urls. */
export const INSTANCE_ID_PLACEHOLDER = 'INSTANCEID';

export interface LinkSettings {
  taskHubName: string;
  connectionName: string;
  systemKey: string | undefined;
}

/** Every link carries taskHub and connection, then the system key, in the extension's order. */
function managementQuery(settings: LinkSettings): string {
  const parts = [`taskHub=${encodeURIComponent(settings.taskHubName)}`, `connection=${encodeURIComponent(settings.connectionName)}`];
  const required = requiredQueryString(settings);
  if (required !== '') parts.push(required);
  return parts.join('&');
}

/** What the extension calls the universal query string: the system key, or nothing. */
export function requiredQueryString(settings: LinkSettings): string {
  return settings.systemKey !== undefined ? `code=${encodeURIComponent(settings.systemKey)}` : '';
}

export interface ManagementLinks {
  id: string;
  statusQueryGetUri: string;
  sendEventPostUri: string;
  terminatePostUri: string;
  rewindPostUri: string;
  purgeHistoryDeleteUri: string;
  restartPostUri: string;
  suspendPostUri: string;
  resumePostUri: string;
}

/**
 * The management links of one instance under `origin` (scheme://host:port). `idInPath` is the id as it appears in
 * the path: the encoded id for a real instance, or the bare placeholder for the binding data's templates.
 */
export function managementLinks(origin: string, id: string, idInPath: string, settings: LinkSettings): ManagementLinks {
  const instance = `${origin}${WEBHOOK_PATH}/instances/${idInPath}`;
  const query = managementQuery(settings);
  return {
    id,
    statusQueryGetUri: `${instance}?${query}`,
    sendEventPostUri: `${instance}/raiseEvent/{eventName}?${query}`,
    terminatePostUri: `${instance}/terminate?reason={text}&${query}`,
    rewindPostUri: `${instance}/rewind?reason={text}&${query}`,
    purgeHistoryDeleteUri: `${instance}?${query}`,
    restartPostUri: `${instance}/restart?${query}`,
    suspendPostUri: `${instance}/suspend?reason={text}&${query}`,
    resumePostUri: `${instance}/resume?reason={text}&${query}`,
  };
}

/** Links for a real instance: the id is percent-encoded in the path. */
export function instanceLinks(origin: string, instanceId: string, settings: LinkSettings): ManagementLinks {
  return managementLinks(origin, instanceId, encodeURIComponent(instanceId), settings);
}

export interface CreationLinks {
  createNewInstancePostUri: string;
  createAndWaitOnNewInstancePostUri: string;
}

/** Creation templates carry only the system key (as the extension's do), not taskHub/connection. */
export function creationLinks(origin: string, settings: LinkSettings): CreationLinks {
  const prefix = `${origin}${WEBHOOK_PATH}/orchestrators/{functionName}[/{instanceId}]`;
  const required = requiredQueryString(settings);
  const suffix = required !== '' ? `&${required}` : '';
  return {
    createNewInstancePostUri: required !== '' ? `${prefix}?${required}` : prefix,
    createAndWaitOnNewInstancePostUri: `${prefix}?timeout={timeoutInSeconds}&pollingInterval={intervalInSeconds}${suffix}`,
  };
}
