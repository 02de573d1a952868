import os from "node:os";
import path from "node:path";
import { z } from "zod";
import { httpUrl, listenAddress, loadConfig, logLevel, optionalSecret } from "@hydra/server-kit/config";

/** frontline's configuration (SPEC §1 data plane), from the environment, with its defaults. */
const schema = z
  .object({
    // Where HAProxy takes client traffic.
    HYDRA_FRONTLINE_ADDR: listenAddress.default({ host: "127.0.0.1", port: 8080 }),
    // The agent's own health and Prometheus metrics.
    HYDRA_FRONTLINE_ADMIN_ADDR: listenAddress.default({ host: "127.0.0.1", port: 8081 }),
    ROUTING_SVC_URL: httpUrl.default("http://127.0.0.1:7002"),
    HYDRA_API_TOKEN: optionalSecret,
    // The region this edge serves: routes carry that region's sentinel.
    HYDRA_REGION: z.string().default("local"),
    HYDRA_DEFAULT_DOMAIN: z.string().default("hydra.run"),
    // HAProxy's config, maps, socket, pid and the agent's applied position live here.
    HYDRA_FRONTLINE_STATE_DIR: z.string().optional(),
    HAPROXY_BIN: z.string().default("haproxy"),
    LOG_LEVEL: logLevel.default("info"),
  })
  .transform((env) => ({
    listen: env.HYDRA_FRONTLINE_ADDR,
    admin: env.HYDRA_FRONTLINE_ADMIN_ADDR,
    routingUrl: env.ROUTING_SVC_URL,
    apiToken: env.HYDRA_API_TOKEN,
    region: env.HYDRA_REGION,
    defaultDomain: env.HYDRA_DEFAULT_DOMAIN.toLowerCase(),
    stateDir: path.resolve(
      env.HYDRA_FRONTLINE_STATE_DIR ?? path.join(os.tmpdir(), `hydra-frontline-${env.HYDRA_FRONTLINE_ADDR.port}`),
    ),
    haproxyBin: env.HAPROXY_BIN,
    logLevel: env.LOG_LEVEL,
  }));

export type FrontlineConfig = z.output<typeof schema>;

export function loadFrontlineConfig(env: NodeJS.ProcessEnv = process.env): FrontlineConfig {
  return loadConfig(schema, env);
}
