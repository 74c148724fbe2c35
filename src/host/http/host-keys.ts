/**
 * The access keys of the host, kept apart as the Azure Functions host keeps them: the master key (`_master`, opens
 * everything, admin included), host keys (open every function-level HTTP trigger), function keys (open one
 * function) and the Durable extension's system key (`durabletask_extension`, opens the Durable webhooks only).
 * They come from settings or from a mounted secret directory laid out like the Functions host's Kubernetes secret
 * storage (`host.master`, `host.function.<name>`, `host.systemKey.durabletask_extension`, `functions.<fn>.<name>`).
 */
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { HostError } from '../host-error.js';

/** The system key's name, as the Durable extension registers it. */
export const DURABLE_SYSTEM_KEY_NAME = 'durabletask_extension';
/** Shorter keys are refused: the Functions host generates 40+ characters; 16 is the floor for a guessable-free key. */
export const MIN_KEY_LENGTH = 16;
const KEY_PATTERN = /^[\x21-\x7e]+$/;

export interface HostKeys {
  /** Opens every endpoint, admin included. */
  readonly master: string | undefined;
  /** Open every function-level (not admin) HTTP trigger. */
  readonly host: readonly string[];
  /** Per function name (lower case): keys that open that function only. */
  readonly functions: ReadonlyMap<string, readonly string[]>;
  /** The Durable extension's system key: opens the Durable webhooks; the only key in the links they hand out. */
  readonly system: string | undefined;
  /** True when the system key was generated for this run (no setting or file named one). */
  readonly systemGenerated: boolean;
}

/** No keys at all: the keyless development mode (loopback only). */
export const NO_KEYS: HostKeys = { master: undefined, host: [], functions: new Map(), system: undefined, systemGenerated: false };

export function isKeyless(keys: HostKeys): boolean {
  return keys.master === undefined && keys.host.length === 0 && keys.functions.size === 0 && keys.system === undefined;
}

/** Refuses a whitespace-only, short or non-printable key with a line naming where it came from, never the key. */
export function checkKey(value: string, where: string): string {
  if (value.trim() === '') throw new HostError('BAD_KEY', `${where} is empty or whitespace only`);
  if (value.length < MIN_KEY_LENGTH || !KEY_PATTERN.test(value)) {
    throw new HostError('BAD_KEY', `${where} must be at least ${MIN_KEY_LENGTH} printable characters without spaces (the value is not shown)`);
  }
  return value;
}

function setting(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  return checkKey(raw, name);
}

interface MountedKeys {
  master?: string;
  host: string[];
  functions: Map<string, string[]>;
  system?: string;
}

/** Reads a secret directory; file contents are trimmed (mounted secrets often end with a newline). */
function readSecretDir(dir: string, settingName: string): MountedKeys {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    throw new HostError('BAD_SETTING', `${settingName}: cannot read the directory ${dir}`);
  }
  const out: MountedKeys = { host: [], functions: new Map() };
  for (const name of names.sort()) {
    const file = path.join(dir, name);
    if (name.startsWith('.') || !statSync(file).isFile()) continue; // Kubernetes' ..data links and timestamps.
    const lower = name.toLowerCase();
    const read = (): string => checkKey(readFileSync(file, 'utf8').trim(), `${settingName}/${name}`);
    if (lower === 'host.master') out.master = read();
    else if (lower.startsWith('host.function.')) out.host.push(read());
    else if (lower === `host.systemkey.${DURABLE_SYSTEM_KEY_NAME}`) out.system = read();
    else if (lower.startsWith('functions.')) {
      const fn = lower.slice('functions.'.length).split('.')[0] ?? '';
      if (fn === '') continue;
      out.functions.set(fn, [...(out.functions.get(fn) ?? []), read()]);
    }
  }
  return out;
}

/**
 * Settings: FUNCTIONS_HOST_KEY (a host key, as before), FUNCTIONS_MASTER_KEY, FUNCTIONS_SYSTEM_KEY, and
 * FUNCTIONS_SECRETS_DIR (a mounted secret directory; settings win over its files). When any key is configured and
 * no system key is, one is generated for this run: the app's durableClient binding carries it, and no caller
 * holding a function key can compute it. Keys must all differ, so that no key opens more than its role.
 */
export function loadHostKeys(env: NodeJS.ProcessEnv): HostKeys {
  const dir = env.FUNCTIONS_SECRETS_DIR?.trim();
  const mounted: MountedKeys = dir ? readSecretDir(dir, 'FUNCTIONS_SECRETS_DIR') : { host: [], functions: new Map() };
  const hostSetting = setting(env, 'FUNCTIONS_HOST_KEY');
  const master = setting(env, 'FUNCTIONS_MASTER_KEY') ?? mounted.master;
  const system = setting(env, 'FUNCTIONS_SYSTEM_KEY') ?? mounted.system;
  const host = [...(hostSetting !== undefined ? [hostSetting] : []), ...mounted.host];
  return buildHostKeys({ master, host, functions: mounted.functions, system });
}

/** Completes and checks a key set: distinct roles, a system key generated when keys are in use but none is set. */
export function buildHostKeys(given: { master?: string | undefined; host?: string[]; functions?: Map<string, string[]>; system?: string | undefined }): HostKeys {
  const partial: HostKeys = {
    master: given.master,
    host: given.host ?? [],
    functions: given.functions ?? new Map(),
    system: given.system,
    systemGenerated: false,
  };
  if (isKeyless(partial)) return NO_KEYS;
  const callerKeys = [...partial.host, ...[...partial.functions.values()].flat()];
  if (partial.system !== undefined && (partial.system === partial.master || callerKeys.includes(partial.system))) {
    throw new HostError('BAD_KEY', 'FUNCTIONS_SYSTEM_KEY must differ from the master, host and function keys');
  }
  if (partial.master !== undefined && callerKeys.includes(partial.master)) {
    throw new HostError('BAD_KEY', 'FUNCTIONS_MASTER_KEY must differ from the host and function keys');
  }
  if (partial.system !== undefined) return partial;
  return { ...partial, system: randomBytes(32).toString('base64url'), systemGenerated: true };
}
