import { createServer, type IncomingMessage, type Server } from "node:http";

export interface InstanceServer {
  host: string;
  port: number;
  close(): Promise<void>;
}

/**
 * A local instance: a real HTTP server on its own address that answers every request with
 * who it is (`identity`) plus what it was asked (path, Host, method) as JSON. It resolves
 * once listening, so an instance is ready only when it can answer.
 */
export async function startInstanceServer(opts: {
  host: string;
  port: number;
  identity: Record<string, string>;
  /** More fields from the request (tests: the deployment id header an activator gets). */
  describe?: (request: IncomingMessage) => Record<string, unknown>;
}): Promise<InstanceServer> {
  const server: Server = createServer((request, response) => {
    const body = JSON.stringify({
      ...opts.identity,
      method: request.method,
      path: request.url,
      host: request.headers.host ?? "",
      ...opts.describe?.(request),
    });
    response.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    response.end(body);
  });
  server.keepAliveTimeout = 75_000; // longer than the sentinel's upstream keepalive
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    host: opts.host,
    port: opts.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
