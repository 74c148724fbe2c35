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

/** Azurite's documented development account key (public; src/host/storage/azurite.ts has the same). */
const AZURITE_DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/**
 * The secret part of a storage connection string: its AccountName and AccountKey, not the endpoints (Azurite's port
 * may change between runs; the key must not). `UseDevelopmentStorage=true` is Azurite's well-known (public) dev
 * account, the same one `npm start` spells out; an identity-based connection carries no key. In both cases the marker
 * is only a checksum that a forger who knows this code can compute.
 */
export function originSecretFrom(connectionString: string | undefined): string {
  const field = (name: string): string =>
    new RegExp(`(?:^|;)\\s*${name}\\s*=\\s*([^;]*)`, 'i').exec(connectionString ?? '')?.[1]?.trim() ?? '';
  if (field('UseDevelopmentStorage').toLowerCase() === 'true') return `devstoreaccount1\n${AZURITE_DEV_KEY}`;
  const key = field('AccountKey');
  return key === '' ? '' : `${field('AccountName')}\n${key}`;
}

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
