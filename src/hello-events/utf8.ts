/** fatal: a malformed, overlong or surrogate sequence throws instead of turning into U+FFFD. */
const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The text the bytes spell in UTF-8, or undefined when they are not valid UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return strict.decode(bytes);
  } catch {
    return undefined;
  }
}
