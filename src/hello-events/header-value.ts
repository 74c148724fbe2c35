/**
 * Decoding of `ce-*` header values as the CloudEvents HTTP binding (§3.1.3.2) demands: first the RFC 7230
 * quoted-string form is unescaped (older senders quoted values instead of percent-encoding spaces and quotes),
 * then one round of percent-decoding, whose bytes MUST be valid UTF-8 (an overlong form such as %C0%A0 is refused).
 */
import { decodeUtf8 } from './utf8.js';

export type Decoded = { readonly ok: true; readonly value: string } | { readonly ok: false; readonly problem: string };

export function decodeHeaderValue(raw: string): Decoded {
  // Node keeps a raw header byte above 0x7F as one latin1 character; the binding allows printable ASCII only.
  if (/[^\t\x20-\x7e]/.test(raw)) {
    return { ok: false, problem: 'holds a character outside printable US-ASCII; it must be percent-encoded' };
  }
  const unquoted = unquote(raw.trim());
  if (!unquoted.ok) return unquoted;
  return percentDecode(unquoted.value);
}

/** A whole value in double quotes is a quoted-string: `\x` stands for x. Anything else is taken as it is. */
function unquote(value: string): Decoded {
  if (!value.startsWith('"')) return { ok: true, value };
  let out = '';
  for (let i = 1; i < value.length; i++) {
    const char = value[i];
    if (char === '\\') {
      i++;
      if (i >= value.length) break;
      out += value[i];
    } else if (char === '"') {
      if (i !== value.length - 1) return { ok: false, problem: 'has text after its closing double quote' };
      return { ok: true, value: out };
    } else {
      out += char;
    }
  }
  return { ok: false, problem: 'has an opening double quote without a closing one' };
}

function percentDecode(value: string): Decoded {
  if (!value.includes('%')) return { ok: true, value };
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code !== 0x25) {
      bytes.push(code); // printable ASCII (checked above): one byte each
      continue;
    }
    const hex = value.slice(i + 1, i + 3);
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) {
      return { ok: false, problem: `has "%" not followed by two hex digits at offset ${i}` };
    }
    bytes.push(Number.parseInt(hex, 16));
    i += 2;
  }
  const decoded = decodeUtf8(Uint8Array.from(bytes));
  return decoded === undefined ? { ok: false, problem: 'percent-decodes to bytes that are not valid UTF-8' } : { ok: true, value: decoded };
}
