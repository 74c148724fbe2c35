/** The worker's HTTP data to and from node:http: request headers flattened, the function's response written out. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RpcHttpCookie, RpcHttpData } from '../worker/core-types.js';

export function flattenHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

function cookieHeader(cookie: RpcHttpCookie): string {
  let text = `${cookie.name ?? ''}=${cookie.value ?? ''}`;
  if (cookie.domain?.value) text += `; Domain=${cookie.domain.value}`;
  if (cookie.path?.value) text += `; Path=${cookie.path.value}`;
  const expires = cookie.expires?.value;
  if (expires?.seconds !== undefined && expires?.seconds !== null) {
    text += `; Expires=${new Date(Number(expires.seconds) * 1000 + Math.floor((expires.nanos ?? 0) / 1e6)).toUTCString()}`;
  }
  if (cookie.maxAge?.value !== undefined && cookie.maxAge?.value !== null) text += `; Max-Age=${cookie.maxAge.value}`;
  if (cookie.secure?.value) text += '; Secure';
  if (cookie.httpOnly?.value) text += '; HttpOnly';
  const sameSite = { lax: 'Lax', strict: 'Strict', explicitNone: 'None', none: undefined }[cookie.sameSite ?? 'none'];
  if (sameSite) text += `; SameSite=${sameSite}`;
  return text;
}

export function writeRpcResponse(res: ServerResponse, out: RpcHttpData | undefined): void {
  if (!out) {
    res.writeHead(204);
    res.end();
    return;
  }
  const status = Number.parseInt(out.statusCode ?? '200', 10) || 200;
  for (const [name, value] of Object.entries(out.headers ?? {})) res.setHeader(name, value);
  const cookies = (out.cookies ?? []).map(cookieHeader);
  if (cookies.length) res.setHeader('set-cookie', cookies);
  const body = out.body;
  let bytes: Buffer;
  if (body?.bytes) bytes = Buffer.from(body.bytes);
  else if (body?.string !== undefined && body?.string !== null) bytes = Buffer.from(body.string);
  else if (body?.json !== undefined && body?.json !== null) bytes = Buffer.from(body.json);
  else bytes = Buffer.alloc(0);
  res.setHeader('content-length', bytes.length);
  res.writeHead(status);
  res.end(bytes);
}
