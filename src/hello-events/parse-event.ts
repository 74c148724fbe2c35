import type { IncomingHttpHeaders } from 'node:http';
import { detectMode, parseMediaType } from './media-type.js';
import { parseBinary } from './binary-mode.js';
import { parseStructured } from './structured-mode.js';
import type { ParseResult } from './received-event.js';

const MAX_PROBLEM_CHARS = 300;

/**
 * Turns an HTTP request into the CloudEvents it carries (one in binary and structured mode, any number in batched
 * mode), or names what is wrong. The mode comes from Content-Type as the HTTP binding (§3) says.
 */
export function parseCloudEvents(headers: IncomingHttpHeaders, body: Buffer): ParseResult {
  const result = parse(headers, body);
  if (result.ok || result.problem.length <= MAX_PROBLEM_CHARS) return result;
  return { ok: false, problem: `${result.problem.slice(0, MAX_PROBLEM_CHARS)}…` };
}

function parse(headers: IncomingHttpHeaders, body: Buffer): ParseResult {
  const contentType = headers['content-type'];
  const mode = detectMode(contentType);
  if (mode === 'binary') return parseBinary(headers, body);
  const type = parseMediaType(contentType ?? '');
  if (!type) return { ok: false, problem: `content-type "${contentType ?? ''}" is not a valid media type` };
  return parseStructured(type, body, mode === 'batch');
}
