// Helpers for the cluster package's tests: real servers, no mocks.
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
