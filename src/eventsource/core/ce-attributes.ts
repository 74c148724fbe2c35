/**
 * Checks of CloudEvents attribute values a person configures (CE_TYPE, CE_SOURCE, a schedule's `event.type`,
 * `event.source`, `event.subject`). Each throws an Error whose one-line message says why.
 */

/** A string attribute: any text but control characters (they would break headers in binary mode). */
export function checkAttributeText(text: string): string {
  if (/[\x00-\x1f\x7f]/.test(text)) throw new Error('must not contain control characters');
  return text;
}

/** CloudEvents `source` is a URI-reference (RFC 3986): absolute (`urn:x:y`, `https://...`) or relative (`/a/b`). */
export function checkUriReference(text: string): string {
  if (/[\s\x00-\x1f\x7f<>"{}|\\^`]/.test(text)) {
    throw new Error(`${JSON.stringify(text)} is not a URI-reference (no spaces or <>"{}|\\^\` allowed; e.g. urn:example:source or /my/source)`);
  }
  try {
    new URL(text, 'http://base.invalid/');
  } catch {
    throw new Error(`${JSON.stringify(text)} is not a URI-reference (e.g. urn:example:source or /my/source)`);
  }
  return text;
}
