/**
 * Safe renderings of values that may carry secrets. A sink URL may hold credentials in its userinfo
 * (`https://user:pass@host`) or its query (`?sig=...`, `?code=...`), so only scheme, host, port and path are shown.
 */
export function redactUrl(url: URL | string): string {
  let parsed: URL;
  try {
    parsed = typeof url === 'string' ? new URL(url) : url;
  } catch {
    return '<invalid URL>';
  }
  const hidden = parsed.username !== '' || parsed.password !== '' || parsed.search !== '';
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}${hidden ? ' (credentials/query redacted)' : ''}`;
}

/** Replaces every absolute URL inside free text (e.g. a library's error message) with its redacted form. */
export function redactUrlsIn(text: string): string {
  return text.replace(/\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi, (match) => redactUrl(match));
}
