/**
 * Which sinks a schedule may post to. A per-schedule `sink` (or `deadLetterSink`) comes from whoever writes the
 * schedules file or calls the management API, so it must not turn the event source into a request forger against
 * the pod's own cloud: the origin must be allowlisted, and link-local and cloud metadata addresses are refused
 * always, by name and again by the address actually connected to (DNS can change between the check and the
 * connect: rebinding). The connect-time half lives in dispatcher.ts, which calls `forbiddenAddress` below.
 */
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { redactUrl } from '../core/redact.js';

/** Addresses no delivery connects to, whatever the allowlist says. */
const FORBIDDEN = new BlockList();
// Link-local: every cloud's instance metadata service (169.254.169.254), ECS task metadata (169.254.170.2), ...
FORBIDDEN.addSubnet('169.254.0.0', 16, 'ipv4');
FORBIDDEN.addSubnet('fe80::', 10, 'ipv6');
// Metadata services outside link-local: AWS IMDS over IPv6, Alibaba Cloud, Azure's WireServer/host agent, Oracle.
FORBIDDEN.addAddress('fd00:ec2::254', 'ipv6');
FORBIDDEN.addAddress('100.100.100.200', 'ipv4');
FORBIDDEN.addAddress('168.63.129.16', 'ipv4');
FORBIDDEN.addAddress('192.0.0.192', 'ipv4');
// An IPv4 address reached through IPv6 (mapped, compatible, NAT64, 6to4) is checked as that IPv4: ipv4Embedded.

/** Names of metadata services (they resolve to the addresses above inside their cloud; refused before any lookup). */
const FORBIDDEN_HOSTNAMES = new Set([
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'instance-data',
  'instance-data.ec2.internal',
]);

/** True for a link-local or cloud metadata IP address (IPv4, IPv6, IPv4-mapped IPv6; brackets allowed). */
export function forbiddenAddress(address: string): boolean {
  const bare = address.replace(/^\[(.*)\]$/, '$1').replace(/%.*$/, '');
  const family = isIP(bare);
  if (family === 4) return FORBIDDEN.check(bare, 'ipv4');
  if (family === 6) return FORBIDDEN.check(bare, 'ipv6') || ipv4Embedded(ipv6Bytes(bare)).some((v4) => FORBIDDEN.check(v4, 'ipv4'));
  return false;
}

/**
 * The IPv4 addresses an IPv6 address may carry to the network (RFC 4291 mapped ::ffff:0:0/96 and compatible ::/96,
 * RFC 6052 NAT64 64:ff9b::/96, RFC 8215 local-use NAT64 64:ff9b:1::/48, RFC 3056 6to4 2002::/16). A local-use NAT64
 * prefix may be /48, /56, /64 or /96 inside its /48 (RFC 6052 §2.2 layouts, bits 64-71 reserved): every reading is
 * returned, so an address is refused when any of them is a refused IPv4.
 */
function ipv4Embedded(bytes: Uint8Array): string[] {
  const group = (index: number): number => ((bytes[index * 2] ?? 0) << 8) | (bytes[index * 2 + 1] ?? 0);
  const zeros = (from: number, to: number): boolean => bytes.subarray(from, to).every((byte) => byte === 0);
  const at = (...indexes: number[]): string => indexes.map((index) => bytes[index] ?? 0).join('.');
  const found: string[] = [];
  if (zeros(0, 10) && (group(5) === 0xffff || group(5) === 0)) found.push(at(12, 13, 14, 15));
  const nat64 = group(0) === 0x64 && group(1) === 0xff9b;
  if (nat64 && zeros(4, 12)) found.push(at(12, 13, 14, 15));
  if (nat64 && group(2) === 1) found.push(at(6, 7, 9, 10), at(7, 9, 10, 11), at(9, 10, 11, 12), at(12, 13, 14, 15));
  if (group(0) === 0x2002) found.push(at(2, 3, 4, 5));
  return found;
}

/** The 16 bytes of an IPv6 address already known to be one (isIP === 6): `::` expanded, a dotted tail read. */
function ipv6Bytes(address: string): Uint8Array {
  let text = address.toLowerCase();
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted !== null) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const groups = (part: string): number[] => (part === '' ? [] : part.split(':').map((group) => parseInt(group, 16)));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const all = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  const bytes = new Uint8Array(16);
  all.forEach((group, index) => {
    bytes[index * 2] = group >> 8;
    bytes[index * 2 + 1] = group & 0xff;
  });
  return bytes;
}

/** True for a host name (or IP literal) that names a metadata service or a forbidden address. */
export function forbiddenHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  return FORBIDDEN_HOSTNAMES.has(host) || forbiddenAddress(host);
}

/** Raised when a connection would go to a forbidden address; delivery reports it as a network error. */
export class SinkAddressRefused extends Error {
  readonly code = 'SINK_ADDRESS_REFUSED';

  constructor(readonly hostname: string, readonly address: string) {
    super(`sink address refused: ${hostname === address ? address : `${hostname} resolves to ${address}`}, a link-local or cloud metadata address`);
    this.name = 'SinkAddressRefused';
  }
}

/**
 * A DNS lookup (net.connect's `lookup` option) that fails when any resolved address is forbidden, so the socket is
 * never opened. `lookup` is the resolver underneath (dns.lookup; tests pass their own to simulate DNS).
 */
export function guardLookup(lookup: LookupFunction = dnsLookup): LookupFunction {
  return (hostname, options, callback) => {
    lookup(hostname, options, (error, address, family) => {
      if (error) {
        callback(error, address, family);
        return;
      }
      const addresses = Array.isArray(address) ? address.map((entry: LookupAddress) => entry.address) : [address];
      const refused = addresses.find(forbiddenAddress);
      if (refused !== undefined) {
        callback(new SinkAddressRefused(hostname, refused), address, family);
        return;
      }
      callback(null, address, family);
    });
  };
}

/**
 * Parses `SINK_ALLOWLIST`: comma-separated origins (`https://host[:port]`), blanks between commas ignored. Each is
 * normalised to its origin (lowercase host, default port dropped). Throws an Error naming the bad entry.
 */
export function parseSinkAllowlist(text: string): string[] {
  const origins: string[] = [];
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    origins.push(parseOrigin(entry));
  }
  return [...new Set(origins)];
}

function parseOrigin(entry: string): string {
  const shown = JSON.stringify(entry.length > 100 ? `${entry.slice(0, 100)}…` : entry);
  let url: URL;
  try {
    url = new URL(entry);
  } catch {
    throw new Error(`${shown} is not an origin (expected http://host[:port] or https://host[:port])`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${shown} is not an http or https origin`);
  if (url.hostname === '') throw new Error(`${shown} has no host`);
  // An origin has no credentials, path, query or fragment: anything more would suggest a match it does not make.
  if (url.username !== '' || url.password !== '') throw new Error('an entry holds credentials; list origins only (scheme://host[:port])');
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '' || url.hash !== '' || /[?#]/.test(entry)) {
    throw new Error(`${shown} is not an origin: no path, query or fragment (scheme://host[:port])`);
  }
  return url.origin;
}

export type SinkCheck = { ok: true; url: URL } | { ok: false; problem: string };

/**
 * Whether a schedule may post to `sink`: an http(s) URL with a host that is neither a metadata name nor a
 * link-local/metadata address literal, whose origin is in `allowlist` (origins as parseSinkAllowlist returns
 * them). The problem never quotes the URL's credentials or query. The resolved address is checked again at connect
 * time (dispatcher.ts), so a name that later resolves to a forbidden address is refused then.
 */
export function checkSink(sink: string | URL, allowlist: readonly string[]): SinkCheck {
  let url: URL;
  try {
    url = new URL(typeof sink === 'string' ? sink : sink.href);
  } catch {
    return { ok: false, problem: 'is not a valid absolute URL (expected http:// or https://)' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { ok: false, problem: `must be an http or https URL, not ${url.protocol.replace(/:$/, '')}` };
  }
  if (url.hostname === '') return { ok: false, problem: 'has no host' };
  if (forbiddenHost(url.hostname)) {
    return { ok: false, problem: `${redactUrl(url)} is a link-local or cloud metadata address, never allowed as a sink` };
  }
  if (!allowlist.includes(url.origin)) {
    return { ok: false, problem: `origin ${url.origin} is not in SINK_ALLOWLIST (allowed: ${allowlist.join(', ') || 'none'})` };
  }
  return { ok: true, url };
}
