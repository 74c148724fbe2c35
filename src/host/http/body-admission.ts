/**
 * Admission of a request body, taken only once the request is routed and its key checked: a slot of the caller's
 * gate (anonymous callers, key holders and the Durable webhooks each have their own, so neither anonymous callers nor
 * outside key holders can make the app's own DurableClient calls wait), and a stall watch: a body that sends no byte
 * for `stallMs` is answered 408 and its connection closed, so a slot cannot be held by a trickle.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BodyGate } from './edge-limits.js';
import { hasBody } from './read-body.js';

/** Methods whose requests carry no body here (a body on them is refused unread). */
export const BODILESS_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD']);

export type Admission = 'admitted' | 'no-body' | 'busy';

function answerStalled(req: IncomingMessage, res: ServerResponse, stallMs: number): void {
  if (!res.headersSent) {
    const text = JSON.stringify({ error: 'RequestTimeout', message: `body: no byte received for ${stallMs} ms` });
    res.writeHead(408, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), connection: 'close' });
    res.end(text, () => req.socket.destroy());
  } else {
    req.socket.destroy();
  }
}

/**
 * Takes a slot for the body of `req` (none needed without a body). The slot is released when the body has been read
 * or the exchange ends; the stall watch stops when the body has been read.
 */
export function admitBody(req: IncomingMessage, res: ServerResponse, gate: BodyGate, stallMs: number): Admission {
  if (!hasBody(req) || req.complete) return 'no-body';
  const release = gate.tryEnter();
  if (!release) return 'busy';
  // IncomingMessage.setTimeout watches the socket for inactivity and, with a listener, never destroys it itself.
  const onStall = (): void => answerStalled(req, res, stallMs);
  req.setTimeout(stallMs, onStall);
  let watching = true;
  const stopWatch = (): void => {
    if (!watching) return;
    watching = false;
    req.off('timeout', onStall);
    // Once the answer is out, Node has set the socket's keep-alive timeout: leave it be.
    if (!res.writableFinished && !req.socket.destroyed) req.socket.setTimeout(0);
  };
  req.once('end', () => {
    stopWatch();
    release();
  });
  res.once('close', () => {
    stopWatch();
    release();
  });
  return 'admitted';
}
