/** The Durable HTTP API as the host serves it, and its options. */

/**
 * The Durable extension's HTTP surface (`/runtime/webhooks/durabletask/...`), served by the host's HTTP server.
 * Implemented in this folder over the engine's `DurableEngine`.
 */
export interface DurableHttpApi {
  /** Handles a request under /runtime/webhooks/durabletask; resolves false (and writes nothing) for other paths. */
  handle(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse): Promise<boolean>;
  /** The JSON object the `durableClient` input binding carries, as the real extension gives it to the worker. */
  clientBindingData(): Record<string, unknown>;
}

/** Options of `createDurableHttpApi` (index.ts). */
export interface DurableHttpApiOptions {
  /** The host's own base URL, e.g. http://127.0.0.1:7071 (status links are built from it). */
  baseUrl: string;
  taskHubName: string;
  /** Name of the storage connection setting, as the extension reports it (default AzureWebJobsStorage). */
  connectionName: string;
  /** When set, the webhook endpoints demand it as `code` (query) or `x-functions-key` (header). */
  systemKey?: string;
}
