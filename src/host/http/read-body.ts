/**
 * Reading request bodies within a limit: a declared Content-Length over it is refused before reading, a body that
 * grows past it stops being read at once (nothing more is buffered), and the caller answers 413 with
 * `Connection: close` so that the rest of the upload is never read.
 */
import type { IncomingMessage } from 'node:http';
import { StringDecoder } from 'node:string_decoder';

export class BodyTooLargeError extends Error {
  readonly code = 'BODY_TOO_LARGE';
  constructor(
    readonly limit: number,
    /** What `limit` counts: bytes on the wire, or characters (UTF-16 units) of the decoded text. */
    readonly unit: 'bytes' | 'characters',
  ) {
    super(`request body exceeds ${limit} ${unit}`);
  }
}

/** The declared length, or undefined when there is none (chunked) or it is not a number. */
export function declaredLength(req: IncomingMessage): number | undefined {
  const raw = req.headers['content-length'];
  if (raw === undefined || !/^\d+$/.test(raw)) return undefined;
  return Number(raw);
}

/** True when the request carries (or may carry) a body. */
export function hasBody(req: IncomingMessage): boolean {
  const declared = declaredLength(req);
  return (declared !== undefined && declared > 0) || req.headers['transfer-encoding'] !== undefined;
}

/**
 * Collects the body; `accept(chunk)` sees each chunk and returns false to stop (over the limit). On a stop the
 * request is paused and detached: its socket is closed with the 413 answer.
 */
function collect(req: IncomingMessage, accept: (chunk: Buffer) => boolean, onStop: () => Error): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const detach = (): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
    };
    const onData = (chunk: Buffer): void => {
      if (accept(chunk)) return;
      detach();
      req.pause();
      reject(onStop());
    };
    const onEnd = (): void => {
      detach();
      resolve();
    };
    const onError = (err: Error): void => {
      detach();
      reject(err);
    };
    const onAborted = (): void => {
      detach();
      reject(new Error('request aborted by the client'));
    };
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onError);
    req.once('aborted', onAborted);
  });
}

/** Reads at most `maxBytes` bytes. */
export async function readBodyBytes(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = declaredLength(req);
  if (declared !== undefined && declared > maxBytes) throw new BodyTooLargeError(maxBytes, 'bytes');
  const chunks: Buffer[] = [];
  let size = 0;
  await collect(
    req,
    (chunk) => {
      size += chunk.length;
      if (size > maxBytes) return false;
      chunks.push(chunk);
      return true;
    },
    () => new BodyTooLargeError(maxBytes, 'bytes'),
  );
  return Buffer.concat(chunks);
}

/**
 * Reads UTF-8 text of at most `maxUnits` UTF-16 units (what the task hub's limits count). A UTF-8 byte encodes at
 * least a third of a unit, so a declared length over 3 × maxUnits bytes cannot fit and is refused before reading.
 */
export async function readBodyText(req: IncomingMessage, maxUnits: number): Promise<string> {
  const declared = declaredLength(req);
  if (declared !== undefined && declared > maxUnits * 3) throw new BodyTooLargeError(maxUnits, 'characters');
  const decoder = new StringDecoder('utf8');
  let text = '';
  await collect(
    req,
    (chunk) => {
      text += decoder.write(chunk);
      return text.length <= maxUnits;
    },
    () => new BodyTooLargeError(maxUnits, 'characters'),
  );
  text += decoder.end();
  if (text.length > maxUnits) throw new BodyTooLargeError(maxUnits, 'characters');
  return text;
}
