// Helpers for the cluster package's tests: real servers, no mocks.
import { request } from "node:http";
import { startInstanceServer, type InstanceServer } from "./local/instance-server";
import { DEPLOYMENT_ID_HEADER } from "./sentinel-config";

export type EchoServer = InstanceServer;

/** An HTTP server that answers `{ name, method, path, host, deploymentId }` (the id header it got). */
export function startEchoServer(opts: { host: string; port: number; name: string }): Promise<EchoServer> {
  return startInstanceServer({
    host: opts.host,
    port: opts.port,
    identity: { name: opts.name },
    describe: (request) => ({ deploymentId: request.headers[DEPLOYMENT_ID_HEADER.toLowerCase()] ?? null }),
  });
}

export interface SentinelAnswer {
  status: number;
  contentType: string | undefined;
  retryAfter: string | undefined;
  body: string;
}

/**
 * A request to a sentinel at `address` (`host:port`) as the frontline sends it: the client's
 * Host, and the deployment id header when `deploymentId` is not null. (node:http, since fetch
 * does not let a caller set Host.)
 */
export function askSentinel(
  address: string,
  opts: { host: string; deploymentId: string | null; path?: string; method?: string },
): Promise<SentinelAnswer> {
  const [hostname, port] = address.split(":");
  const headers: Record<string, string> = {
    host: opts.host,
    ...(opts.deploymentId !== null ? { [DEPLOYMENT_ID_HEADER.toLowerCase()]: opts.deploymentId } : {}),
  };
  return new Promise((resolve, reject) => {
    const req = request(
      { host: hostname, port: Number(port), method: opts.method ?? "GET", path: opts.path ?? "/", headers },
      (res) => {
        let body = "";
        res.setEncoding("utf8").on("data", (chunk: string) => (body += chunk));
        res.on("end", () =>
          resolve({
            status: res.statusCode!,
            contentType: res.headers["content-type"],
            retryAfter: res.headers["retry-after"] === undefined ? undefined : String(res.headers["retry-after"]),
            body,
          }),
        );
      },
    );
    req.on("error", reject).end();
  });
}
