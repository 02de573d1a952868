/**
 * A small HTTP client for one cluster, on @kubernetes/client-node's KubeConfig.
 *
 * KubeConfig does what is hard (kubeconfig files and contexts, in-cluster service accounts,
 * client certificates, bearer tokens, exec and OIDC plugins with refresh, proxies); each
 * request asks it for current credentials. The requests themselves are made here, on one
 * keep-alive agent per cluster, so that the driver controls the exact bytes it sends
 * (`application/apply-patch+yaml` bodies), per-request timeouts, the `Status` error bodies,
 * and watch streams (resumable, with idle detection).
 */
import * as http from "node:http";
import * as https from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";
import { ClusterError, type KubeStatus, errorFromResponse, networkError } from "./errors";

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  contentType?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** What the request does, for error messages: `apply Deployment ws-1/dep-1`. */
  what?: string;
}

export interface KubeResponse<T> {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: T;
}

/** One line of a watch stream: an object of the watched kind, or (type ERROR) a `Status`. */
export type WatchEvent<T = unknown> =
  { type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK"; object: T } | { type: "ERROR"; object: KubeStatus };

const USER_AGENT = "hydra-cluster-driver/1 (@kubernetes/client-node 1.4.0 KubeConfig)";

function abortedError(region: string, what: string, signal: AbortSignal): ClusterError {
  const reason = signal.reason instanceof Error ? signal.reason.message : String(signal.reason ?? "aborted");
  return new ClusterError(`region ${region}: ${what}: aborted (${reason})`, {
    kind: "aborted",
    transient: true,
    region,
    cause: signal.reason,
  });
}

export class KubeHttp {
  readonly server: URL;
  private readonly secure: boolean;
  private readonly agent: http.Agent;
  /**
   * Watches hold their connection for minutes: on the requests' pool, 64 open watches (32
   * concurrent waitReady calls, each following a Deployment and its pods) would leave no socket
   * for an apply. They get their own pool, as many sockets as watches.
   */
  private readonly watchAgent: http.Agent;
  private readonly viaProxy: boolean;

  constructor(
    readonly region: string,
    private readonly kc: KubeConfig,
    private readonly requestTimeoutMs: number,
  ) {
    const cluster = kc.getCurrentCluster();
    if (!cluster) {
      throw new ClusterError(`region ${region}: the kubeconfig has no current cluster`, {
        kind: "configuration",
        transient: false,
        region,
      });
    }
    this.server = new URL(cluster.server);
    this.secure = this.server.protocol === "https:";
    this.viaProxy = Boolean(cluster.proxyUrl);
    const agentOptions = { keepAlive: true, keepAliveMsecs: 30_000, maxSockets: 64 };
    this.agent = this.secure ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
    const watchOptions = { keepAlive: true, keepAliveMsecs: 30_000 };
    this.watchAgent = this.secure ? new https.Agent(watchOptions) : new http.Agent(watchOptions);
  }

  private url(path: string, query: Query | undefined): URL {
    const url = new URL(this.server.href);
    url.pathname = `${this.server.pathname.replace(/\/+$/, "")}${path}`;
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    return url;
  }

  /** Credentials and TLS settings from the KubeConfig, fresh for each request (tokens rotate). */
  private async requestOptions(
    method: string,
    headers: http.OutgoingHttpHeaders,
    what: string,
    agent: http.Agent,
  ): Promise<https.RequestOptions> {
    const options: https.RequestOptions = { method, headers };
    try {
      await this.kc.applyToHTTPSOptions(options);
    } catch (error) {
      throw new ClusterError(
        `region ${this.region}: ${what}: cannot apply kubeconfig credentials: ${(error as Error).message}`,
        {
          kind: "configuration",
          transient: false,
          region: this.region,
          cause: error,
        },
      );
    }
    // KubeConfig builds a fresh agent per call; keep ours (keep-alive) unless a proxy is configured.
    if (!this.viaProxy) options.agent = agent;
    return options;
  }

  private send(
    method: string,
    path: string,
    opts: RequestOptions,
    accept: string,
    agent: http.Agent = this.agent,
  ): Promise<{ req: http.ClientRequest; res: http.IncomingMessage; what: string; cleanup: () => void }> {
    const what = opts.what ?? `${method} ${path}`;
    const payload =
      opts.body === undefined
        ? undefined
        : Buffer.from(typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body));
    const headers: http.OutgoingHttpHeaders = { Accept: accept, "User-Agent": USER_AGENT };
    if (payload) {
      headers["Content-Type"] = opts.contentType ?? "application/json";
      headers["Content-Length"] = payload.length;
    }
    const signal = opts.signal;
    if (signal?.aborted) return Promise.reject(abortedError(this.region, what, signal));
    return this.requestOptions(method, headers, what, agent).then(
      (options) =>
        new Promise((resolve, reject) => {
          let settled = false;
          const fail = (error: ClusterError) => {
            if (!settled) {
              settled = true;
              cleanup();
              reject(error);
            }
          };
          const onAbort = () => {
            fail(abortedError(this.region, what, signal!));
            req.destroy();
          };
          const cleanup = () => signal?.removeEventListener("abort", onAbort);
          const req = (this.secure ? https : http).request(this.url(path, opts.query), options, (res) => {
            if (settled) {
              res.destroy();
              return;
            }
            settled = true;
            resolve({ req, res, what, cleanup });
          });
          req.on("error", (error) => fail(networkError(this.region, what, error)));
          req.setTimeout(opts.timeoutMs ?? this.requestTimeoutMs, () => {
            fail(
              new ClusterError(
                `region ${this.region}: ${what}: no response within ${opts.timeoutMs ?? this.requestTimeoutMs} ms`,
                {
                  kind: "timeout",
                  transient: true,
                  region: this.region,
                },
              ),
            );
            req.destroy();
          });
          signal?.addEventListener("abort", onAbort, { once: true });
          req.end(payload);
        }),
    );
  }

  private static readBody(res: http.IncomingMessage): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", reject);
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        if ((res.headers["content-type"] ?? "").includes("json")) {
          try {
            resolve(text === "" ? undefined : JSON.parse(text));
            return;
          } catch {
            // fall through: the raw text is the best description
          }
        }
        resolve(text);
      });
    });
  }

  /** The ClusterError a non-2xx answer's `Status` body (and Retry-After) describes. */
  private failure(res: http.IncomingMessage, status: number, body: unknown, what: string): ClusterError {
    return errorFromResponse({
      region: this.region,
      status,
      body,
      retryAfter: res.headers["retry-after"] as string | undefined,
      what,
    });
  }

  /** A request; a non-2xx answer rejects with the ClusterError its `Status` body describes. */
  async request<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<KubeResponse<T>> {
    const { req, res, what, cleanup } = await this.send(method, path, opts, "application/json");
    try {
      const body = await KubeHttp.readBody(res);
      const status = res.statusCode ?? 0;
      if (status < 200 || status > 299) {
        throw this.failure(res, status, body, what);
      }
      return { status, headers: res.headers, body: body as T };
    } catch (error) {
      if (error instanceof ClusterError) throw error;
      if (opts.signal?.aborted) throw abortedError(this.region, what, opts.signal);
      throw networkError(this.region, what, error);
    } finally {
      cleanup();
      req.setTimeout(0);
    }
  }

  /**
   * A watch: calls `onEvent` for every event until the server ends the stream (resolves), the
   * connection fails or stays idle for `idleTimeoutMs` (rejects, transient), or `signal` aborts
   * (rejects with kind `aborted`).
   */
  async watch<T = unknown>(
    path: string,
    query: Query,
    onEvent: (event: WatchEvent<T>) => void,
    opts: { signal?: AbortSignal; idleTimeoutMs: number; what?: string },
  ): Promise<void> {
    const { req, res, what, cleanup } = await this.send(
      "GET",
      path,
      {
        query: { ...query, watch: true },
        signal: opts.signal,
        timeoutMs: opts.idleTimeoutMs,
        what: opts.what ?? `watch ${path}`,
      },
      "application/json",
      this.watchAgent,
    );
    const status = res.statusCode ?? 0;
    if (status !== 200) {
      try {
        const body = await KubeHttp.readBody(res);
        throw this.failure(res, status, body, what);
      } finally {
        cleanup();
      }
    }
    return new Promise<void>((resolve, reject) => {
      let buffer = "";
      let done = false;
      const finish = (error?: ClusterError) => {
        if (done) return;
        done = true;
        cleanup();
        opts.signal?.removeEventListener("abort", onAbort);
        req.setTimeout(0);
        if (error) {
          res.destroy();
          reject(error);
        } else resolve();
      };
      const onAbort = () => finish(abortedError(this.region, what, opts.signal!));
      opts.signal?.addEventListener("abort", onAbort, { once: true });
      if (opts.signal?.aborted) onAbort();
      // The request's timeout now measures idleness of the stream (bookmarks keep it busy).
      req.setTimeout(opts.idleTimeoutMs, () =>
        finish(
          new ClusterError(`region ${this.region}: ${what}: idle for ${opts.idleTimeoutMs} ms`, {
            kind: "timeout",
            transient: true,
            region: this.region,
          }),
        ),
      );
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        buffer += chunk;
        let newline: number;
        while (!done && (newline = buffer.indexOf("\n")) >= 0) {
          const line = buffer.slice(0, newline).trim();
          buffer = buffer.slice(newline + 1);
          if (line === "") continue;
          let event: WatchEvent<T>;
          try {
            event = JSON.parse(line) as WatchEvent<T>;
          } catch {
            finish(
              new ClusterError(`region ${this.region}: ${what}: malformed watch event`, {
                kind: "internal_error",
                transient: true,
                region: this.region,
              }),
            );
            return;
          }
          try {
            onEvent(event);
          } catch (error) {
            finish(error instanceof ClusterError ? error : networkError(this.region, what, error));
            return;
          }
        }
      });
      res.on("end", () => finish());
      res.on("aborted", () =>
        finish(
          networkError(this.region, what, Object.assign(new Error("watch connection aborted"), { code: "ECONNRESET" })),
        ),
      );
      res.on("error", (error) => finish(networkError(this.region, what, error)));
      res.on("close", () => {
        if (!done)
          finish(
            networkError(
              this.region,
              what,
              Object.assign(new Error("watch connection closed"), { code: "ECONNRESET" }),
            ),
          );
      });
    });
  }

  close(): void {
    this.agent.destroy();
    this.watchAgent.destroy();
  }
}
