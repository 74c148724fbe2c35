/**
 * Which OIDC token an attempt carries. The token at K_OIDC_TOKEN_FILE is issued for K_SINK's audience: it goes only to
 * K_SINK's origin, never to another sink a schedule names (a key holder could otherwise point a schedule at another
 * allowlisted origin and collect a bearer token to replay against K_SINK). A schedule's own sink that needs a token
 * names its file (`oidcTokenFile`), a plain file name inside SINK_OIDC_TOKENS_DIR (where the operator mounts one
 * projected token per audience); without one it gets no Authorization header.
 */
import path from 'node:path';
import { TOKEN_FILE_NAME } from '../core/definition-fields.js';
import { createOidcTokenSource, NO_TOKEN, type OidcTokenSource } from './oidc-token.js';

interface SinkTokenOptions {
  /** K_SINK: its origin gets the token of `tokenFile`. */
  sink: URL;
  /** K_OIDC_TOKEN_FILE. */
  tokenFile: string;
  /** SINK_OIDC_TOKENS_DIR: the files schedules may name. */
  tokensDir: string;
}

/** The token source of an attempt to `sink`, given the schedule's own `oidcTokenFile` (if any). Sources are cached. */
export function createSinkTokens(options: SinkTokenOptions): (sink: URL, ownFile?: string) => OidcTokenSource {
  const kSinkOrigin = options.sink.origin;
  const kSinkToken = createOidcTokenSource(options.tokenFile);
  const own = new Map<string, OidcTokenSource>();
  return (sink, ownFile) => {
    if (ownFile === undefined) return sink.origin === kSinkOrigin ? kSinkToken : NO_TOKEN;
    // Checked by the schedule's schema too; an orchestration state written through the Durable API is not.
    if (!TOKEN_FILE_NAME.test(ownFile)) return NO_TOKEN_FILE;
    let source = own.get(ownFile);
    if (source === undefined) {
      source = createOidcTokenSource(path.join(options.tokensDir, ownFile), { required: true });
      own.set(ownFile, source);
    }
    return source;
  };
}

const NO_TOKEN_FILE: OidcTokenSource = {
  read: () => Promise.resolve({ ok: false, reason: 'oidcTokenFile is not a plain file name', retryable: true }),
};
