import type { Attributes } from './attributes.js';

/** A CloudEvent as hello-events received it: every context attribute, and its data in a loggable form. */
export interface ReceivedEvent {
  readonly attributes: Attributes;
  /** JSON data as its value, text as a string; absent when the event has none or it is binary. */
  readonly data?: unknown;
  /** Binary data (or data whose bytes are not valid UTF-8 text), base64-encoded. */
  readonly dataBase64?: string;
}

export type ParseResult =
  | { readonly ok: true; readonly events: readonly ReceivedEvent[] }
  | { readonly ok: false; readonly problem: string };

/** The attributes' own string, or undefined when absent or not a string. */
export function stringAttribute(event: ReceivedEvent, name: string): string | undefined {
  const value = event.attributes[name];
  return typeof value === 'string' ? value : undefined;
}
