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

/**
 * Who created a schedule: the environment's SCHEDULE (`env`), the schedules file (`file`) or the management API
 * (`api`). The kind is bound into the marker, so it needs no field of its own and cannot be claimed by a key holder:
 * the file's reconcile acts only on markers of kind `file`, the API replaces only those of kind `api`.
 */
export type OriginKind = 'env' | 'file' | 'api';

export const ORIGIN_KINDS: readonly OriginKind[] = ['env', 'file', 'api'];

/**
 * The marker of (name, generation, kind). `env` keeps the input it had before there were kinds, so the markers of
 * schedules running since then stay valid.
 */
export function originMarker(key: Buffer, name: string, generation: string, kind: OriginKind = 'env'): string {
  const input = kind === 'env' ? `${name}\n${generation}` : `${name}\n${generation}\n${kind}`;
  return createHmac('sha256', key).update(input).digest('hex').slice(0, 32);
}

/** Whether `marker` is the one this key gives for (name, generation, kind); constant-time. */
export function hasOriginOf(key: Buffer, name: string, generation: string, kind: OriginKind, marker: string | undefined): boolean {
  if (marker === undefined) return false;
  const expected = Buffer.from(originMarker(key, name, generation, kind));
  const given = Buffer.from(marker);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** The kind whose marker `marker` is, or undefined when this key made none of them. */
export function originKindOf(key: Buffer, name: string, generation: string, marker: string | undefined): OriginKind | undefined {
  return ORIGIN_KINDS.find((kind) => hasOriginOf(key, name, generation, kind, marker));
}

/** Whether this key made `marker` for (name, generation), of any kind. */
export function hasOrigin(key: Buffer, name: string, generation: string, marker: string | undefined): boolean {
  return originKindOf(key, name, generation, marker) !== undefined;
}
