/**
 * A fault-injecting reverse proxy in front of a real kube-apiserver: what a real API server
 * cannot be told to do on demand. Tests point the driver at it (plain HTTP on loopback, no
 * credentials); it forwards to the API server over TLS as the identity it was given (a client
 * certificate) and, on request:
 *
 * - answers the next `count` matching requests with a status (429 with Retry-After, 5xx, 403,
 *   a plain-text 404 of an unserved API group…) as the API server would: a `Status` body;
 *   a watch answered 410 gets what an expired watch gets from the API server: 200 and one
 *   `ERROR` event carrying the 410 `Expired` Status;
 * - delays them (`delayMs`, then forwarded unless a status is given);
 * - cuts the open watch connections;
 * - logs every request (method, path, query, status).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { stringify } from "yaml";

export interface Fault {
  /** Answer with this status (a Status body, or `body` as plain text); without it the request proceeds after `delayMs`. */
  status?: number;
  reason?: string;
  message?: string;
  /** A plain-text body instead of a Status (e.g. "404 page not found" of an unserved API group). */
  body?: string;
  /** Wait this long before answering (or forwarding). */
  delayMs?: number;
  /** How many matching requests it applies to; default 1. */
  count: number;
  method?: string;
  /** Substring of the request path. */
  path?: string;
  /** Only watch requests (true), or only the others (false); default both. */
  watch?: boolean;
  retryAfterSeconds?: number;
}

export interface LoggedRequest {
  seq: number;
  time: string;
  method: string;
  path: string;
  query: Record<string, string>;
  contentType?: string;
  userAgent?: string;
  /** The status answered (injected or the API server's); undefined while in flight. */
  status?: number;
  /** Answered by an injected fault rather than the API server. */
  injected?: boolean;
}

export interface Upstream {
  /** `https://127.0.0.1:<port>` of the kube-apiserver. */
  server: string;
  /** PEM of the CA that signed its serving certificate, and the client certificate and key to present. */
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

const REASONS: Record<number, string> = {
  400: "BadRequest",
  403: "Forbidden",
  404: "NotFound",
  409: "Conflict",
  410: "Expired",
  429: "TooManyRequests",
  500: "InternalError",
  503: "ServiceUnavailable",
  504: "Timeout",
};

/** Headers that belong to one hop, not to be forwarded (RFC 9110 §7.6.1). */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "te",
  "trailer",
  "upgrade",
  "host",
]);

function statusBody(code: number, reason: string, message: string, retryAfterSeconds?: number) {
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason,
    ...(retryAfterSeconds !== undefined ? { details: { retryAfterSeconds } } : {}),
    code,
  };
}

interface OpenWatch {
  res: http.ServerResponse;
  upstream?: http.ClientRequest;
  /** The API server answered it: the watch is established there. */
  established: boolean;
}

export class FaultProxy {
  private readonly server: http.Server;
  private readonly agent: https.Agent;
  private faults: Fault[] = [];
  private readonly watches = new Set<OpenWatch>();
  private seq = 0;
  private readonly log: LoggedRequest[] = [];
  url = "";

  private constructor(private readonly upstream: Upstream) {
    this.agent = new https.Agent({ keepAlive: true, ca: upstream.ca, cert: upstream.cert, key: upstream.key });
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((error: Error) => {
        if (!res.headersSent) res.writeHead(502, { "Content-Type": "text/plain" });
        res.end(`fault proxy: ${error.message}\n`);
      });
    });
  }

  static async start(upstream: Upstream): Promise<FaultProxy> {
    const proxy = new FaultProxy(upstream);
    await new Promise<void>((resolve, reject) => {
      proxy.server.once("error", reject);
      proxy.server.listen(0, "127.0.0.1", () => resolve());
    });
    proxy.url = `http://127.0.0.1:${(proxy.server.address() as AddressInfo).port}`;
    return proxy;
  }

  /** The next `count` (default 1) matching requests answer `status`, or are delayed by `delayMs`. */
  injectFault(fault: Partial<Fault>): void {
    this.faults.push({ ...fault, count: fault.count ?? 1 });
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** Cuts every open watch connection (both sides); how many. */
  dropWatches(): number {
    const cut = this.watches.size;
    for (const watch of this.watches) {
      watch.upstream?.destroy();
      watch.res.socket?.destroy();
    }
    this.watches.clear();
    return cut;
  }

  /** Watches the API server has answered and that are still open. */
  openWatches(): number {
    return [...this.watches].filter((w) => w.established).length;
  }

  /** Requests received after sequence number `after`. */
  requests(after = 0): LoggedRequest[] {
    return this.log.filter((r) => r.seq > after).map((r) => ({ ...r }));
  }

  async close(): Promise<void> {
    this.dropWatches();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.agent.destroy();
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://proxy");
    const method = req.method ?? "GET";
    const isWatch = url.searchParams.get("watch") === "true" || url.searchParams.get("watch") === "1";
    const entry: LoggedRequest = {
      seq: ++this.seq,
      time: new Date().toISOString(),
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      contentType: req.headers["content-type"],
      userAgent: req.headers["user-agent"],
    };
    this.log.push(entry);
    if (this.log.length > 5_000) this.log.splice(0, this.log.length - 5_000);

    const fault = this.faults.find(
      (f) =>
        f.count > 0 &&
        (!f.method || f.method === method) &&
        (!f.path || url.pathname.includes(f.path)) &&
        (f.watch === undefined || f.watch === isWatch),
    );
    if (fault) {
      fault.count--;
      this.faults = this.faults.filter((f) => f.count > 0);
      if (fault.delayMs) await sleep(fault.delayMs);
      // The client gave up meanwhile (its timeout): like a request lost on the way, it never reaches the server.
      if (res.destroyed || req.socket.destroyed) return;
      if (fault.status !== undefined) {
        entry.injected = true;
        return this.answer(res, entry, fault, isWatch);
      }
    }
    this.forward(req, res, url, entry, isWatch);
  }

  private answer(res: http.ServerResponse, entry: LoggedRequest, fault: Fault, isWatch: boolean): void {
    const code = fault.status!;
    const reason = fault.reason ?? REASONS[code] ?? "Unknown";
    if (fault.body !== undefined) {
      entry.status = code;
      res.writeHead(code, { "Content-Type": "text/plain; charset=utf-8" });
      res.end(fault.body);
      return;
    }
    if (isWatch && code === 410) {
      // What the API server sends a watch from a resourceVersion older than it keeps.
      entry.status = 200;
      res.writeHead(200, { "Content-Type": "application/json" });
      const status = statusBody(410, reason, fault.message ?? "too old resource version (injected)");
      res.end(`${JSON.stringify({ type: "ERROR", object: status })}\n`);
      return;
    }
    entry.status = code;
    res.writeHead(code, {
      "Content-Type": "application/json",
      ...(fault.retryAfterSeconds !== undefined ? { "Retry-After": String(fault.retryAfterSeconds) } : {}),
    });
    res.end(
      JSON.stringify(statusBody(code, reason, fault.message ?? `injected fault ${code}`, fault.retryAfterSeconds)),
    );
  }

  private forward(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    url: URL,
    entry: LoggedRequest,
    isWatch: boolean,
  ): void {
    const headers: http.OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (!HOP_BY_HOP.has(name) && name !== "authorization") headers[name] = value;
    }
    const target = new URL(`${url.pathname}${url.search}`, this.upstream.server);
    const upstream = https.request(target, { method: req.method, headers, agent: this.agent });
    const watch: OpenWatch | undefined = isWatch ? { res, upstream, established: false } : undefined;
    if (watch) this.watches.add(watch);
    const done = () => {
      if (watch) this.watches.delete(watch);
    };
    upstream.on("response", (answer) => {
      entry.status = answer.statusCode;
      if (watch) watch.established = true;
      const forwarded: http.OutgoingHttpHeaders = {};
      for (const [name, value] of Object.entries(answer.headers)) {
        if (!HOP_BY_HOP.has(name)) forwarded[name] = value;
      }
      res.writeHead(answer.statusCode ?? 502, forwarded);
      if (isWatch) res.flushHeaders();
      answer.pipe(res);
      answer.on("error", () => res.destroy());
    });
    upstream.on("error", (error) => {
      done();
      if (res.headersSent) {
        res.destroy();
        return;
      }
      entry.status = 502;
      res.writeHead(502, { "Content-Type": "text/plain" });
      res.end(`fault proxy: upstream ${error.message}\n`);
    });
    // The client went away (or the test cut it): end the API server's side too.
    res.on("close", () => {
      done();
      if (!upstream.destroyed && !res.writableFinished) upstream.destroy();
    });
    req.pipe(upstream);
  }
}

/**
 * A kubeconfig with one context per region pointing at its proxy (plain HTTP, no credentials),
 * and the HYDRA_CLUSTERS value for it; `remove` deletes the files.
 */
export function proxyKubeconfig(proxies: Record<string, FaultProxy>): {
  clusters: Record<string, { kubeconfig: string; context: string }>;
  remove: () => void;
} {
  const dir = mkdtempSync(join(tmpdir(), "hydra-fault-proxy-"));
  const kubeconfig = join(dir, "kubeconfig.yaml");
  const regions = Object.keys(proxies);
  writeFileSync(
    kubeconfig,
    stringify({
      apiVersion: "v1",
      kind: "Config",
      // client-node refuses a plain-http server unless TLS verification is (vacuously) off.
      clusters: regions.map((r) => ({
        name: `proxy-${r}`,
        cluster: { server: proxies[r]!.url, "insecure-skip-tls-verify": true },
      })),
      users: [{ name: "via-proxy", user: {} }],
      contexts: regions.map((r) => ({ name: `proxy-${r}`, context: { cluster: `proxy-${r}`, user: "via-proxy" } })),
      "current-context": `proxy-${regions[0]}`,
    }),
  );
  return {
    clusters: Object.fromEntries(regions.map((r) => [r, { kubeconfig, context: `proxy-${r}` }])),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
