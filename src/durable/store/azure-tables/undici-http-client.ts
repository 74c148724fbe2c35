/**
 * The table client's transport over undici: one keep-alive pool per storage endpoint. The Azure SDK's default
 * transport (node:http through @typespec/ts-http-runtime) cost about 8 % of the host's CPU per tick in the bench's
 * profile; undici is the HTTP client the project already uses for sinks. What it cannot do the way the default
 * transport does (a proxy, client certificates, a streamed answer) is handed to the default transport.
 */
import { Agent, request } from 'undici';
import { createDefaultHttpClient, createHttpHeaders, RestError, type HttpClient, type PipelineRequest, type PipelineResponse } from '@azure/core-rest-pipeline';

/** Upper bound on connections to the storage endpoint: what concurrent steps and client calls can use. */
const MAX_CONNECTIONS = 64;

export interface ClosableHttpClient extends HttpClient {
  close(): Promise<void>;
}

function needsDefaultTransport(req: PipelineRequest): boolean {
  return req.proxySettings !== undefined || req.tlsSettings !== undefined || req.agent !== undefined || req.streamResponseStatusCodes !== undefined || req.onDownloadProgress !== undefined || req.onUploadProgress !== undefined;
}

function bodyOf(req: PipelineRequest): string | Uint8Array | undefined {
  const body = req.body;
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  throw new RestError(`undici transport: unsupported request body (${typeof body})`, { code: RestError.REQUEST_SEND_ERROR, request: req });
}

export function createUndiciHttpClient(): ClosableHttpClient {
  const agent = new Agent({ connections: MAX_CONNECTIONS, keepAliveTimeout: 4_000 });
  let fallback: HttpClient | undefined;
  return {
    async sendRequest(req: PipelineRequest): Promise<PipelineResponse> {
      if (needsDefaultTransport(req) || req.formData !== undefined || req.multipartBody !== undefined) {
        return (fallback ??= createDefaultHttpClient()).sendRequest(req);
      }
      const headers: Record<string, string> = {};
      // Answers come uncompressed: undici does not inflate them, and table rows gain little from it on the wire.
      for (const [name, value] of req.headers) if (name.toLowerCase() !== 'accept-encoding') headers[name] = value;
      try {
        const res = await request(req.url, {
          method: req.method,
          headers,
          body: bodyOf(req),
          dispatcher: agent,
          // The SDK's AbortSignalLike is a DOM AbortSignal at run time (the pipeline builds it with AbortController).
          ...(req.abortSignal instanceof AbortSignal ? { signal: req.abortSignal } : {}),
          ...(req.timeout > 0 ? { headersTimeout: req.timeout, bodyTimeout: req.timeout } : {}),
        });
        const answerHeaders = createHttpHeaders();
        for (const [name, value] of Object.entries(res.headers)) {
          if (value !== undefined) answerHeaders.set(name, Array.isArray(value) ? value.join(', ') : value);
        }
        return { request: req, status: res.statusCode, headers: answerHeaders, bodyAsText: await res.body.text() };
      } catch (err) {
        if (err instanceof RestError || (err as { name?: unknown }).name === 'AbortError') throw err;
        // What the SDK's retry policies and HubTable.isTransient take for "no answer": a send error with its cause.
        const e = err instanceof Error ? err : new Error(String(err));
        const cause = (e as { code?: unknown }).code;
        throw Object.assign(new RestError(`${e.message}${typeof cause === 'string' ? ` (${cause})` : ''}`, { code: RestError.REQUEST_SEND_ERROR, request: req }), { cause: e });
      }
    },
    close: () => agent.close(),
  };
}
