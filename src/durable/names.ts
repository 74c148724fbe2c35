/**
 * The one rule for each name a caller gives the engine, as the Durable extension applies it: task hub names (Azure
 * Storage's) and instance ids. The host and the Durable HTTP API check with these and only render the error their way.
 */
import { DurableConfigError } from './errors.js';

export const MAX_INSTANCE_ID_LENGTH = 256;

const HUB_NAME = /^[A-Za-z][A-Za-z0-9]{2,44}$/;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** A task hub name Azure Storage accepts: 3-45 letters or digits, starting with a letter. `field` names the setting. */
export function validateTaskHubName(hub: string, field = 'taskHubName'): string {
  if (!HUB_NAME.test(hub)) {
    throw new DurableConfigError('INVALID_TASK_HUB', field, `${field}: task hub name ${JSON.stringify(hub)} must be 3-45 letters or digits, starting with a letter`);
  }
  return hub;
}

/**
 * An instance id as the extension accepts it: not blank, at most 256 characters, no '/', '\\', '#', '?' or control
 * characters (ids land in storage keys and in URLs, and must round-trip through both).
 */
export function validateInstanceId(instanceId: string, field = 'instanceId'): string {
  const bad = (problem: string): DurableConfigError => new DurableConfigError('INVALID_INSTANCE_ID', field, `${field}: ${problem}`);
  if (typeof instanceId !== 'string' || instanceId.trim() === '') throw bad('must not be empty');
  if (instanceId.length > MAX_INSTANCE_ID_LENGTH) throw bad(`longer than ${MAX_INSTANCE_ID_LENGTH} characters`);
  if (/[/\\#?]/.test(instanceId) || CONTROL.test(instanceId)) throw bad("must not contain '/', '\\', '#', '?' or control characters");
  return instanceId;
}
