import http from "node:http";
import type { Registry } from "prom-client";

export interface AdminStatus {
  ready: boolean;
  details(): Record<string, unknown>;
}

/** /health (200 once HAProxy serves a known table, else 503) and /metrics (Prometheus). */
export async function startAdminServer(
  address: { host: string; port: number },
  status: AdminStatus,
  registry: Registry,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((request, response) => {
    const path = (request.url ?? "/").split("?")[0];
    if (path === "/health") {
      response.writeHead(status.ready ? 200 : 503, { "content-type": "application/json" });
      response.end(JSON.stringify({ status: status.ready ? "serving" : "syncing", ...status.details() }));
    } else if (path === "/metrics") {
      registry.metrics().then(
        (text) => {
          response.writeHead(200, { "content-type": registry.contentType });
          response.end(text);
        },
        (error: Error) => {
          response.writeHead(500).end(error.message);
        },
      );
    } else {
      response.writeHead(404, { "content-type": "text/plain" }).end("frontline admin: /health, /metrics\n");
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(address.port, address.host, resolve);
  });
  const bound = server.address() as { port: number };
  return {
    url: `http://${address.host}:${bound.port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
