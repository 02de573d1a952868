import { type CallOptions, type Client, Code, ConnectError, createClient, type Interceptor } from "@connectrpc/connect";
import { createConnectTransport, Http2SessionManager } from "@connectrpc/connect-node";
import {
  type AssignDomainsResponse,
  RoutingService,
  type SwitchDomainsResponse,
  type WatchRoutesResponse,
} from "@hydra/proto/hydra/v1";
import type { Message, MessageInitShape } from "@bufbuild/protobuf";
import type { AssignDomainsRequestSchema, SwitchDomainsRequestSchema } from "@hydra/proto/hydra/v1";
import { backoffDelayMs, type Backoff } from "@hydra/db/backoff";

export interface RoutingClientOptions {
  /** ROUTING_SVC_URL, e.g. http://127.0.0.1:7002 (h2c). */
  baseUrl: string;
  /** HYDRA_API_TOKEN: sent as `Authorization: Bearer <token>` when set. */
  token?: string;
  /** Deadline of one attempt (default 10 s: above the server's lock wait plus its transaction). */
  timeoutMs?: number;
  /** Attempts in all, retries on `unavailable` included (default 5). */
  maxAttempts?: number;
  /** First backoff; doubled each retry, with full jitter, capped at 2 s. */
  backoffMs?: number;
}

/** A request as a plain object (`$typeName` optional); the idempotency key is required. */
export type AssignDomainsInput = Exclude<MessageInitShape<typeof AssignDomainsRequestSchema>, Message> & {
  idempotencyKey: string;
};
export type SwitchDomainsInput = Exclude<MessageInitShape<typeof SwitchDomainsRequestSchema>, Message> & {
  idempotencyKey: string;
};

/** What deploy-svc calls. Every call carries an idempotency key, so retries are safe. */
export interface RoutingClient {
  assignDomains(request: AssignDomainsInput, options?: { signal?: AbortSignal }): Promise<AssignDomainsResponse>;
  switchDomains(request: SwitchDomainsInput, options?: { signal?: AbortSignal }): Promise<SwitchDomainsResponse>;
  /**
   * The route stream of one region (no retries, no deadline: the caller reconnects with the
   * last position it applied). A connection lost mid-stream ends it with `unavailable`.
   */
  watchRoutes(
    request: { region: string; afterPosition: bigint },
    options: { signal: AbortSignal },
  ): AsyncIterable<WatchRoutesResponse>;
  /** Closes the HTTP/2 session (needed for a clean process exit). */
  close(): void;
}

function bearer(token: string): Interceptor {
  return (next) => async (request) => {
    request.header.set("authorization", `Bearer ${token}`);
    return next(request);
  };
}

/**
 * A stream reset we did not ask for (routing-svc crashed or dropped the connection) arrives as
 * `canceled`; it is the server being unavailable, not the caller giving up.
 */
function asTransportFailure(error: ConnectError, signal: AbortSignal | undefined): ConnectError {
  if (error.code !== Code.Canceled || signal?.aborted) return error;
  return new ConnectError(
    `routing-svc connection lost: ${error.rawMessage}`,
    Code.Unavailable,
    error.metadata,
    undefined,
    error,
  );
}

/**
 * A typed RoutingService client over Connect (HTTP/2 cleartext). Retries only `unavailable`
 * (routing-svc, its Redis or its Postgres down: nothing was written), with the same
 * idempotency key, so a call that did commit before the connection broke is answered from
 * the record rather than applied twice. Every other code is the answer.
 */
export function createRoutingClient(options: RoutingClientOptions): RoutingClient {
  const sessionManager = new Http2SessionManager(options.baseUrl);
  const transport = createConnectTransport({
    baseUrl: options.baseUrl,
    httpVersion: "2",
    sessionManager,
    interceptors: options.token ? [bearer(options.token)] : [],
  });
  const client: Client<typeof RoutingService> = createClient(RoutingService, transport);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxAttempts = Math.max(1, options.maxAttempts ?? 5);
  // Full jitter: anywhere from 0 to backoffMs·2ⁿ⁻¹ before retry n, at most 2 s.
  const backoff: Backoff = { initialMs: (options.backoffMs ?? 100) / 2, factor: 2, maxMs: 2_000, jitter: 1 };

  async function withRetries<T>(
    method: string,
    key: string,
    call: (o: CallOptions) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    if (!key)
      throw new ConnectError(
        `${method}: idempotency_key is required (retries must not apply a change twice)`,
        Code.InvalidArgument,
      );
    for (let attempt = 1; ; attempt++) {
      try {
        return await call({ timeoutMs, signal });
      } catch (error) {
        const connectError = asTransportFailure(ConnectError.from(error), signal);
        if (connectError.code !== Code.Unavailable || attempt >= maxAttempts || signal?.aborted) throw connectError;
        await new Promise((resolve) => setTimeout(resolve, backoffDelayMs(backoff, attempt)));
      }
    }
  }

  return {
    assignDomains: (request, callOptions) =>
      withRetries(
        "AssignDomains",
        request.idempotencyKey,
        (o) => client.assignDomains(request, o),
        callOptions?.signal,
      ),
    switchDomains: (request, callOptions) =>
      withRetries(
        "SwitchDomains",
        request.idempotencyKey,
        (o) => client.switchDomains(request, o),
        callOptions?.signal,
      ),
    watchRoutes: (request, callOptions) =>
      watchWithTransportFailures(client.watchRoutes(request, { signal: callOptions.signal }), callOptions.signal),
    close: () => sessionManager.abort(),
  };
}

async function* watchWithTransportFailures<T>(stream: AsyncIterable<T>, signal: AbortSignal): AsyncIterable<T> {
  try {
    yield* stream;
  } catch (error) {
    throw asTransportFailure(ConnectError.from(error), signal);
  }
}
