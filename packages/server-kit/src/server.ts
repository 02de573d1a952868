import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";
import type { DescFile } from "@bufbuild/protobuf";
import type { ConnectRouter, Interceptor } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { HealthService } from "./health";
import { bearerAuth, observe } from "./interceptors";
import type { Logger } from "./logger";
import { RpcMetrics } from "./metrics";
import { ReflectionIndex } from "./reflection";
import { type RequestRules, validateRequests } from "./request-rules";

export interface ServerOptions {
  /** Service name for logs and metrics, e.g. "deploy-svc". */
  name: string;
  host: string;
  /** 0 picks a free port. */
  port: number;
  logger: Logger;
  /** Files whose services this server implements (reflection serves them and their imports). */
  files: DescFile[];
  routes: (router: ConnectRouter) => void;
  /** Edge validation of every request (see request-rules.ts); NUL and length limits apply even without field rules. */
  requestRules?: RequestRules;
  /** When set, every RPC but health requires `Authorization: Bearer <apiToken>`. */
  apiToken?: string;
  /** Largest request message accepted; larger ones get `resource_exhausted`. Default 4 MiB. */
  readMaxBytes?: number;
  /** How long shutdown waits for in-flight calls before cutting them. Default 10 s. */
  shutdownGraceMs?: number;
}

export interface RunningServer {
  /** e.g. http://127.0.0.1:7001 */
  url: string;
  port: number;
  metrics: RpcMetrics;
  health: HealthService;
  /** Graceful: NOT_SERVING, stop accepting, drain in-flight calls (bounded), then close. */
  close(): Promise<void>;
}

const HTTP2_PREFACE_START = "PRI";

/**
 * A Connect server speaking Connect, gRPC and gRPC-Web over HTTP/2 cleartext (h2c, what
 * gRPC clients and `buf curl --http2-prior-knowledge` use) and HTTP/1.1 (plain curl and
 * Connect/JSON clients), on one port: each new connection's first bytes tell which.
 * Serves grpc.health.v1, gRPC reflection v1/v1alpha, and GET /metrics.
 */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { logger } = options;
  const metrics = new RpcMetrics(options.name);
  const reflection = new ReflectionIndex(options.files);
  const health = new HealthService(reflection.serviceNames);
  const shutdown = new AbortController();

  const interceptors: Interceptor[] = [observe(logger, metrics)];
  if (options.apiToken) interceptors.push(bearerAuth(options.apiToken));
  // After auth: an unauthenticated caller learns nothing about the rules.
  interceptors.push(validateRequests(options.requestRules ?? { fields: {} }));

  const handler = connectNodeAdapter({
    routes: (router) => {
      options.routes(router);
      health.register(router);
      reflection.register(router);
    },
    interceptors,
    readMaxBytes: options.readMaxBytes ?? 4 * 1024 * 1024,
    shutdownSignal: shutdown.signal,
    fallback: (req, res) => {
      if (req.method === "GET" && req.url === "/metrics") {
        metrics.registry.metrics().then(
          (body) => {
            res.writeHead(200, { "content-type": metrics.registry.contentType });
            res.end(body);
          },
          () => {
            res.writeHead(500);
            res.end();
          },
        );
        return;
      }
      res.writeHead(404, { "content-type": "text/plain" });
      res.end(`no route for ${req.method} ${req.url}\n`);
    },
  });

  const h2 = http2.createServer({}, handler);
  const h1 = http.createServer(handler);
  const sessions = new Set<http2.ServerHttp2Session>();
  const sockets = new Set<net.Socket>();
  h2.on("session", (session) => {
    sessions.add(session);
    session.on("close", () => sessions.delete(session));
    session.on("error", () => {});
  });

  const tcp = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    socket.once("data", (chunk: Buffer) => {
      socket.pause();
      socket.unshift(chunk);
      const isHttp2 = chunk.toString("latin1", 0, HTTP2_PREFACE_START.length) === HTTP2_PREFACE_START;
      if (isHttp2) {
        // The HTTP/2 session reads the buffered preface itself on its next tick (Node
        // nodejs/node#34532); resuming here would drop it.
        h2.emit("connection", socket);
      } else {
        h1.emit("connection", socket);
        socket.resume();
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    tcp.once("error", reject);
    tcp.listen(options.port, options.host, () => {
      tcp.off("error", reject);
      resolve();
    });
  });
  const port = (tcp.address() as net.AddressInfo).port;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  const url = `http://${host}:${port}`;

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      health.setServing(false);
      const stopped = new Promise<void>((resolve) => tcp.close(() => resolve()));
      for (const session of sessions) session.close();
      h1.closeIdleConnections();
      // Streams that never end by themselves (watches) are told to finish.
      shutdown.abort();
      const grace = options.shutdownGraceMs ?? 10_000;
      const drained = waitUntil(() => sessions.size === 0 && sockets.size === 0, grace);
      if (!(await drained)) {
        logger.warn({ sessions: sessions.size, sockets: sockets.size }, "shutdown grace expired; closing connections");
        for (const session of sessions) session.destroy();
        for (const socket of sockets) socket.destroy();
      }
      await stopped;
    })();
    return closing;
  };

  return { url, port, metrics, health, close };
}

async function waitUntil(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}
