/** Checks of the names and ids a caller puts in a path or query: each lands in a storage key, a row or a URL. */
import { DurableConfigError, MAX_INSTANCE_ID_LENGTH, MAX_NAME_UNITS, validateInstanceId } from '../../durable/index.js';
import { HttpApiError } from './errors.js';

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

function bad(code: string, field: string, problem: string): HttpApiError {
  return new HttpApiError(400, code, `${field}: ${problem}`);
}

/** The engine's instance-id rule (the extension's), refused with 400. */
export function checkInstanceId(instanceId: string): string {
  try {
    return validateInstanceId(instanceId);
  } catch (error) {
    if (error instanceof DurableConfigError) throw new HttpApiError(400, error.code, error.message);
    throw error;
  }
}

export function checkInstanceIdPrefix(prefix: string): string {
  if (prefix.length > MAX_INSTANCE_ID_LENGTH || CONTROL.test(prefix)) {
    throw bad('INVALID_QUERY_PARAMETER', 'instanceIdPrefix', `at most ${MAX_INSTANCE_ID_LENGTH} characters, no control characters`);
  }
  return prefix;
}

/** Function and event names, and reasons: bounded text without control characters (reasons may hold line breaks). */
export function checkName(value: string, field: string, code: string, options: { allowEmpty?: boolean; multiline?: boolean } = {}): string {
  if (!options.allowEmpty && value.trim() === '') throw bad(code, field, 'must not be empty');
  if (value.length > MAX_NAME_UNITS) throw bad(code, field, `longer than ${MAX_NAME_UNITS} characters`);
  const control = options.multiline ? /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/ : CONTROL;
  if (control.test(value)) throw bad(code, field, 'must not contain control characters');
  return value;
}

/**
 * The id of an instance to create: as checkInstanceId, and not starting with '@' (the extension keeps those for
 * entities); refused as the extension refuses it (400, its ArgumentException's answer).
 */
export function validateNewInstanceId(instanceId: string): string {
  try {
    checkInstanceId(instanceId);
  } catch (error) {
    if (error instanceof HttpApiError) error.extensionMessage = 'One or more of the arguments submitted is incorrect';
    throw error;
  }
  if (instanceId.startsWith('@')) {
    throw HttpApiError.withExtensionMessage(400, 'INVALID_INSTANCE_ID', "instanceId: must not start with '@'", 'One or more of the arguments submitted is incorrect');
  }
  return instanceId;
}
