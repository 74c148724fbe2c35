import { rootCertificates } from 'node:tls';
import { Agent } from 'undici';

export interface DispatcherOptions {
  /** PEM bundle (K_CA_CERTS) trusted for the sink, in addition to Node's built-in root certificates. */
  caCerts?: string;
  /** TCP+TLS connect timeout. */
  connectTimeoutMs?: number;
}

/**
 * A pooled keep-alive HTTP agent for deliveries. Create one per Delivery (and one Delivery per process), so
 * connections to the sink are reused across ticks instead of paying a TCP/TLS handshake each time.
 */
export function createDispatcher(options: DispatcherOptions = {}): Agent {
  return new Agent({
    keepAliveTimeout: 10_000,
    keepAliveMaxTimeout: 60_000,
    connect: {
      ...(options.connectTimeoutMs !== undefined ? { timeout: options.connectTimeoutMs } : {}),
      // Knative adds K_CA_CERTS to the system trust store rather than replacing it (a public sink keeps working).
      ...(options.caCerts !== undefined ? { ca: [...rootCertificates, options.caCerts] } : {}),
    },
  });
}
