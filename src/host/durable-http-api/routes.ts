import { HttpApiError } from './errors.js';

/** A request path under the webhook prefix, decoded into what it asks for. */
export type Route =
  | { kind: 'start'; functionName: string; instanceId: string | undefined }
  | { kind: 'instances' }
  | { kind: 'instance'; instanceId: string }
  | { kind: 'raiseEvent'; instanceId: string; eventName: string }
  | { kind: 'instanceOperation'; instanceId: string; operation: InstanceOperation }
  | { kind: 'entities' }
  | { kind: 'unknown' };

export type InstanceOperation = 'terminate' | 'suspend' | 'resume' | 'rewind' | 'restart';
const OPERATIONS: readonly InstanceOperation[] = ['terminate', 'suspend', 'resume', 'rewind', 'restart'];

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpApiError(400, 'INVALID_PATH', 'path: malformed percent-encoding');
  }
}

/** Matches the extension's routes; controller and operation names are case-insensitive, as in ASP.NET routing. */
export function parseRoute(relativePath: string): Route {
  const segments = relativePath.split('/').filter((s) => s !== '');
  const [controller, ...rest] = segments;
  switch (controller?.toLowerCase()) {
    case 'orchestrators': {
      const [functionName, instanceId, ...extra] = rest;
      if (functionName === undefined || extra.length > 0) return { kind: 'unknown' };
      return {
        kind: 'start',
        functionName: decodeSegment(functionName),
        instanceId: instanceId === undefined ? undefined : decodeSegment(instanceId),
      };
    }
    case 'instances': {
      const [instanceId, operation, eventName, ...extra] = rest;
      if (instanceId === undefined) return { kind: 'instances' };
      const id = decodeSegment(instanceId);
      if (operation === undefined) return { kind: 'instance', instanceId: id };
      if (operation.toLowerCase() === 'raiseevent') {
        if (eventName === undefined || extra.length > 0) return { kind: 'unknown' };
        return { kind: 'raiseEvent', instanceId: id, eventName: decodeSegment(eventName) };
      }
      const op = OPERATIONS.find((o) => o === operation.toLowerCase());
      if (op === undefined || eventName !== undefined) return { kind: 'unknown' };
      return { kind: 'instanceOperation', instanceId: id, operation: op };
    }
    case 'entities':
      return { kind: 'entities' };
    default:
      return { kind: 'unknown' };
  }
}
