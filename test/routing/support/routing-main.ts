// routing-svc as main.ts will wire it (services/routing-svc/src/routing-runtime.ts), for the
// cross-process tests until main.ts serves the routing runtime itself; see routing-process.ts.
import { applyMigrations, createPool, ensureDatabase, withDatabase } from "@hydra/db";
import { file_hydra_v1_routing } from "@hydra/proto/files";
import { RoutingService } from "@hydra/proto/hydra/v1";
import { checkPostgres, createLogger, exitOnSignals, failStartup, startServer } from "@hydra/server-kit";
import { loadRoutingConfig } from "../../../services/routing-svc/src/config";
import { createRoutingRuntime } from "../../../services/routing-svc/src/routing-runtime";

const SERVICE = "routing-svc";

async function main(): Promise<void> {
  const config = loadRoutingConfig();
  const logger = createLogger(SERVICE, config.logLevel);
  await checkPostgres(withDatabase(config.databaseUrl, "postgres"));
  await ensureDatabase(config.databaseUrl);
  await applyMigrations(config.databaseUrl);
  const pool = createPool(config.databaseUrl, { applicationName: SERVICE });
  const routing = createRoutingRuntime({
    pool,
    logger,
    redisUrls: config.redisUrls,
    lockWaitMs: config.lockWaitMs,
    lockTtlMs: config.lockTtlMs,
    defaultDomain: config.defaultDomain,
  });
  const server = await startServer({
    name: SERVICE,
    host: config.address.host,
    port: config.address.port,
    logger,
    apiToken: config.apiToken,
    files: [file_hydra_v1_routing],
    routes: (router) => {
      router.service(RoutingService, routing.service);
    },
  });
  logger.info({ url: server.url }, "listening");
  exitOnSignals(logger, async () => {
    await server.close();
    await routing.close();
    await pool.end();
  });
}

main().catch(failStartup(SERVICE));
