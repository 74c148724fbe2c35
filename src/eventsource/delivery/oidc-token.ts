import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

/**
 * The OIDC token Knative mounts for the sink's audience (`authentication-oidc`), read before each delivery because
 * it rotates. The token is never put in a reason, an error or a log line: only the file's path is.
 */
type OidcTokenRead =
  | { ok: true; headers: Record<string, string> }
  | { ok: false; reason: string; retryable: true };

export interface OidcTokenSource {
  /** `{ authorization: 'Bearer <token>' }`, no headers when the file does not exist, or a retryable failure. */
  read(): Promise<OidcTokenRead>;
}

/**
 * A cached file is trusted only once its last change (ctime, which userspace cannot set back) is this far behind
 * the moment it was read: file timestamps are coarse (a clock tick), so a rewrite right after a read could otherwise
 * leave size, inode and times unchanged ("racy git" problem). Right after a rotation the file is simply re-read.
 */
const SETTLED_NS = 2_000_000_000n;

interface Cached {
  key: string;
  settled: boolean;
  result: OidcTokenRead;
}

/** Sends no Authorization header: for a sink that is neither K_SINK's origin nor names a token of its own. */
export const NO_TOKEN: OidcTokenSource = { read: () => Promise.resolve({ ok: true, headers: {} }) };

/**
 * `required`: a missing file is a retryable failure rather than "no header" (a schedule that names its own token
 * file expects to send one; K_SINK's token is optional, as Knative mounts it only with authentication-oidc).
 */
export function createOidcTokenSource(file: string, options: { required?: boolean } = {}): OidcTokenSource {
  let cached: Cached | undefined;
  const absent = (): OidcTokenRead => (options.required === true ? failure(`OIDC token file ${file} does not exist`) : { ok: true, headers: {} });

  async function read(): Promise<OidcTokenRead> {
    let key: string;
    let changedNs: bigint;
    try {
      // stat follows symlinks, so an atomic swap of a Kubernetes projected volume shows as a new inode.
      // Synchronous on purpose: this runs on every delivery, and on a local or tmpfs path (a projected volume) the
      // syscall takes about 2 µs, while the promise version costs about 55 µs of CPU (an Error with a stack for
      // every missing file, the thread-pool round trip), a measurable share of a tick.
      const info = statSync(file, { bigint: true, throwIfNoEntry: false });
      if (info === undefined) {
        cached = undefined;
        return absent();
      }
      key = `${info.dev}:${info.ino}:${info.size}:${info.mtimeNs}:${info.ctimeNs}`;
      changedNs = info.ctimeNs > info.mtimeNs ? info.ctimeNs : info.mtimeNs;
    } catch (error) {
      cached = undefined;
      if (errorCode(error) === 'ENOENT') return absent();
      return failure(`OIDC token file ${file} cannot be read (${errorCode(error) ?? 'error'})`);
    }
    if (cached !== undefined && cached.settled && cached.key === key) return cached.result;

    const readAtNs = BigInt(Date.now()) * 1_000_000n;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      cached = undefined;
      if (errorCode(error) === 'ENOENT') return absent();
      return failure(`OIDC token file ${file} cannot be read (${errorCode(error) ?? 'error'})`);
    }
    const result = tokenHeaders(file, text.trim());
    cached = { key, settled: readAtNs - changedNs >= SETTLED_NS, result };
    return result;
  }

  return { read };
}

function tokenHeaders(file: string, token: string): OidcTokenRead {
  if (token === '') return failure(`OIDC token file ${file} is empty`);
  // A JWT is base64url parts joined by dots; anything outside visible ASCII could not go in a header anyway.
  if (!/^[\x21-\x7e]+$/.test(token)) return failure(`OIDC token file ${file} holds characters not allowed in a bearer token`);
  return { ok: true, headers: { authorization: `Bearer ${token}` } };
}

function failure(reason: string): OidcTokenRead {
  return { ok: false, reason, retryable: true };
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
