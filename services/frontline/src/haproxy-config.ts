import path from "node:path";
// The header the edge sets (after deleting the client's copy) for the sentinel to route by:
// one name, defined beside the sentinel's config.
import { DEPLOYMENT_ID_HEADER } from "@hydra/cluster/sentinel-config";

export { DEPLOYMENT_ID_HEADER };
export const NOT_ROUTED_BODY = "hydra: no deployment is routed for this hostname";

export interface HaproxyPaths {
  config: string;
  socket: string;
  pidFile: string;
  /** The two route maps (hostname → `<deployment id>/<ip>/<port>`); `side` names the one in use. */
  mapA: string;
  mapB: string;
  side: string;
}

export function haproxyPaths(stateDir: string): HaproxyPaths {
  return {
    config: path.join(stateDir, "haproxy.cfg"),
    socket: path.join(stateDir, "admin.sock"),
    pidFile: path.join(stateDir, "haproxy.pid"),
    mapA: path.join(stateDir, "routes-a.map"),
    mapB: path.join(stateDir, "routes-b.map"),
    side: path.join(stateDir, "side.map"),
  };
}

export interface HaproxyConfigInput {
  listen: { host: string; port: number };
  paths: HaproxyPaths;
}

/**
 * The static HAProxy config the agent writes at start; routes change only through the runtime
 * API afterwards (no reloads). Two maps, A and B, hold hostname → `<deployment id>/<ip>/<port>`;
 * the one-entry side map says which is in use. A routing commit is written to the unused map,
 * then one `set map` flips the side, so every hostname of the commit changes at once; one
 * thread, so a request's rules never interleave with a flip. Unknown hosts get a plain 404.
 */
export function renderHaproxyConfig(input: HaproxyConfigInput): string {
  const { listen, paths } = input;
  const bind = listen.host.includes(":") ? `[${listen.host}]:${listen.port}` : `${listen.host}:${listen.port}`;
  return `# Written by hydra frontline at start; routes are programmed through the runtime API.
global
  stats socket ${paths.socket} mode 600 level admin
  nbthread 1
  maxconn 4096

defaults
  mode http
  option http-keep-alive
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  timeout http-keep-alive 10s
  retries 2
  retry-on conn-failure empty-response

frontend edge
  bind ${bind}
  http-request del-header ${DEPLOYMENT_ID_HEADER}
  http-request set-var(txn.host) req.hdr(host),field(1,:),lower
  http-request set-var(txn.side) str(active),map(${paths.side})
  http-request set-var(txn.route) var(txn.host),map(${paths.mapA}) if { var(txn.side) -m str a }
  http-request set-var(txn.route) var(txn.host),map(${paths.mapB}) if { var(txn.side) -m str b }
  http-request return status 404 content-type text/plain string "${NOT_ROUTED_BODY}" if !{ var(txn.route) -m found }
  http-request set-header ${DEPLOYMENT_ID_HEADER} %[var(txn.route),field(1,/)]
  default_backend sentinels

backend sentinels
  # Idle connections are reused per destination (the connection hash includes set-dst's address).
  http-reuse always
  http-request set-dst var(txn.route),field(2,/)
  http-request set-dst-port var(txn.route),field(3,/)
  server sentinel 0.0.0.0:0
`;
}
