/**
 * The starter's origin marker: which schedule states the starter created itself. A key holder can start
 * `scheduleOrchestrator` through the Durable HTTP API with any input; the marker lets the starter tell its own
 * generations from such instances. It is an HMAC of (name, generation) under a key derived from a secret the app
 * holds and an API key holder does not (the storage connection string: whoever has it can rewrite the task hub
 * anyway, so it is the right trust boundary). The orchestrator carries the marker unchanged across continue-as-new.
 *
 * It proves who created a generation, not how far its sequence went: a key holder who copies a genuine marker from a
 * status can still start a copy of that generation at another sequence. The starter catches a sequence that went
 * back below one it saw itself; README "Management API" documents the rest.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

const DOMAIN = 'durable-event-source/schedule-origin/v1';

/** A key for originMarker from the app's secret (the same secret always gives the same key). */
export function originKeyFrom(secret: string): Buffer {
  return createHash('sha256').update(`${DOMAIN}\n${secret}`).digest();
}

export function originMarker(key: Buffer, name: string, generation: string): string {
  return createHmac('sha256', key).update(`${name}\n${generation}`).digest('hex').slice(0, 32);
}

/** Whether `marker` is the one this key gives for (name, generation); constant-time. */
export function hasOrigin(key: Buffer, name: string, generation: string, marker: string | undefined): boolean {
  if (marker === undefined) return false;
  const expected = Buffer.from(originMarker(key, name, generation));
  const given = Buffer.from(marker);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
