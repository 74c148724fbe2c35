/**
 * Schedule names end up in Durable instance ids, event ids and URLs, so they are restricted to a DNS-label-like
 * alphabet: lowercase letters, digits and '-', starting with a letter or digit, at most 63 characters.
 */
const SCHEDULE_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

export function isValidScheduleName(name: string): boolean {
  return SCHEDULE_NAME_PATTERN.test(name);
}
