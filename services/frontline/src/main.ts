// frontline: the edge. Streams routes from routing-svc (WatchRoutes) into a real HAProxy
// through its runtime API; HAProxy serves on HYDRA_FRONTLINE_ADDR and keeps serving the last
// routes whatever else dies.
import { mkdir } from "node:fs/promises";
import { createRoutingClient } from "@hydra/routing/client";
// Narrow imports (not the packages' indexes): the agent's start is on the path of a snapshot.
import { exitOnSignals, failStartup } from "@hydra/server-kit/lifecycle";
import { createLogger } from "@hydra/server-kit/logger";
import { startAdminServer } from "./admin-server";
import { FrontlineAgent } from "./agent";
import { loadFrontlineConfig } from "./config";
import { EdgeMaps } from "./edge-maps";
import { FrontlineMetrics } from "./frontline-metrics";
import { haproxyPaths, renderHaproxyConfig } from "./haproxy-config";
import { startOrAdoptHaproxy } from "./haproxy-process";
import { SentinelResolver } from "./map-entry";
import { PositionStore } from "./position-store";

const SERVICE = "frontline";

async function main(): Promise<void> {
  const config = loadFrontlineConfig();
  const logger = createLogger(SERVICE, config.logLevel);
  await mkdir(config.stateDir, { recursive: true });
  const paths = haproxyPaths(config.stateDir);
  const haproxy = await startOrAdoptHaproxy({
    bin: config.haproxyBin,
    paths,
    config: renderHaproxyConfig({ listen: config.listen, paths }),
  });
  const maps = new EdgeMaps(haproxy.socket, paths);
  const positions = new PositionStore(config.stateDir);
  const saved = await positions.load();
  // Resume only on the HAProxy the saved position describes; a new one starts empty.
  let startPosition = 0n;
  if (haproxy.adopted && saved?.haproxyPid === haproxy.pid) {
    await maps.adopt();
    startPosition = saved.position;
  }
  logger.info(
    {
      haproxy_pid: haproxy.pid,
      adopted: haproxy.adopted,
      position: startPosition.toString(),
      routes: maps.size,
      state_dir: config.stateDir,
    },
    haproxy.adopted ? "adopted the running haproxy" : "started haproxy",
  );

  const metrics = new FrontlineMetrics();
  const client = createRoutingClient({ baseUrl: config.routingUrl, token: config.apiToken });
  const agent = new FrontlineAgent({
    client,
    maps,
    resolver: new SentinelResolver(),
    positions,
    metrics,
    logger,
    region: config.region,
    defaultDomain: config.defaultDomain,
    haproxyPid: haproxy.pid,
    startPosition,
  });
  agent.start();
  const admin = await startAdminServer(
    config.admin,
    {
      get ready() {
        return agent.ready;
      },
      details: () => ({
        haproxy_pid: haproxy.pid,
        position: agent.position.toString(),
        routes: maps.size,
        region: config.region,
      }),
    },
    metrics.registry,
  );
  // Handlers first: a supervisor may signal as soon as it reads "listening".
  // On a stop the agent goes; HAProxy stays and serves (a later agent adopts it).
  exitOnSignals(logger, async () => {
    await agent.stop();
    client.close();
    await admin.close();
  });

  const edge = `http://${config.listen.host}:${config.listen.port}`;
  logger.info({ url: admin.url, edge, routing: config.routingUrl, region: config.region }, "listening");
}

main().catch(failStartup(SERVICE));
