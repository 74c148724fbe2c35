/**
 * Errors of the event source core. Each carries a stable `code` that callers (and status responses) can switch on;
 * messages are one line and never contain secrets.
 */
export class EventSourceError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EventSourceError';
    this.code = code;
  }
}

/** A configuration variable is missing or invalid. `message` is `<VARIABLE>: <why>` on one line. */
export class ConfigError extends EventSourceError {
  readonly variable: string;

  constructor(variable: string, why: string, options?: { cause?: unknown }) {
    super('CONFIG_INVALID', `${variable}: ${oneLine(why)}`, options);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}

/** Collapses whitespace runs (including newlines from library messages) so a message stays on one line. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
