import type { LookupFunction } from 'node:net';
import { rootCertificates } from 'node:tls';
import { Agent, buildConnector } from 'undici';
import { forbiddenAddress, guardLookup, SinkAddressRefused } from './sink-guard.js';

/** Default bound of open connections per sink origin (SINK_MAX_CONNECTIONS), shared by every schedule. */
export const DEFAULT_CONNECTIONS_PER_ORIGIN = 64;

interface DispatcherOptions {
  /** PEM bundle (K_CA_CERTS) trusted for the sink, in addition to Node's built-in root certificates. */
  caCerts?: string;
  /** TCP+TLS connect timeout. */
  connectTimeoutMs?: number;
  /**
   * At most this many connections to one origin at once, however many schedules and ticks post there; further
   * requests wait in that origin's queue. Default DEFAULT_CONNECTIONS_PER_ORIGIN.
   */
  connectionsPerOrigin?: number;
  /** The resolver under the address guard (dns.lookup by default; tests simulate DNS with their own). */
  lookup?: LookupFunction;
}

/**
 * The pooled keep-alive HTTP agent of the deliveries: one undici Agent is a map of connection pools keyed by origin,
 * each bounded by `connectionsPerOrigin`, so sinks shared by many schedules share their connections (no TCP/TLS
 * handshake per tick) and no origin gets more than the bound. Every connection passes the address guard twice:
 * the DNS answer is checked before the socket opens (guardLookup), and the peer address of the open socket is
 * checked before a byte is written (this also covers IP literals, which net.connect does not look up).
 */
export function createDispatcher(options: DispatcherOptions = {}): Agent {
  const connections = options.connectionsPerOrigin ?? DEFAULT_CONNECTIONS_PER_ORIGIN;
  if (!Number.isSafeInteger(connections) || connections < 1) {
    throw new RangeError(`connectionsPerOrigin must be a positive integer, got ${connections}`);
  }
  const connector = buildConnector({
    ...(options.connectTimeoutMs !== undefined ? { timeout: options.connectTimeoutMs } : {}),
    // Knative adds K_CA_CERTS to the system trust store rather than replacing it (a public sink keeps working).
    ...(options.caCerts !== undefined ? { ca: [...rootCertificates, options.caCerts] } : {}),
    lookup: guardLookup(options.lookup),
  });
  return new Agent({
    keepAliveTimeout: 10_000,
    keepAliveMaxTimeout: 60_000,
    connections,
    connect: (connectOptions, callback) => {
      const host = connectOptions.hostname;
      if (forbiddenAddress(host)) {
        callback(new SinkAddressRefused(host, host), null);
        return;
      }
      connector(connectOptions, (error, socket) => {
        if (error !== null) {
          callback(error, null);
          return;
        }
        const peer = socket.remoteAddress;
        if (peer !== undefined && forbiddenAddress(peer)) {
          socket.destroy();
          callback(new SinkAddressRefused(host, peer), null);
          return;
        }
        callback(null, socket);
      });
    },
  });
}
