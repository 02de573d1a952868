// routing-svc: hydra.v1.RoutingService, the critical section of every deploy, rollback and promote.
import { applyMigrations, createPool, ensureDatabase, redact, withDatabase } from "@hydra/db";
import { file_hydra_v1_routing } from "@hydra/proto/files";
import { RoutingService } from "@hydra/proto/hydra/v1";
import { checkPostgres, checkRedis, createLogger, exitOnSignals, failStartup, startServer } from "@hydra/server-kit";
import { loadRoutingConfig } from "./config";
import { ROUTING_REQUEST_RULES } from "./request-rules";
import { createRoutingRuntime } from "./routing-runtime";

const SERVICE = "routing-svc";

async function main(): Promise<void> {
  const config = loadRoutingConfig();
  const logger = createLogger(SERVICE, config.logLevel);

  // The service database may not exist yet: check the server through its maintenance database.
  await checkPostgres(withDatabase(config.databaseUrl, "postgres"));
  await checkRedis(config.redisUrls);
  await ensureDatabase(config.databaseUrl);
  const migrations = await applyMigrations(config.databaseUrl);
  logger.info({ database: redact(config.databaseUrl), applied: migrations.applied }, "database ready");

  const pool = createPool(config.databaseUrl, {
    applicationName: SERVICE,
    // Under the lock's 30 s hold cap: a holder on a half-open connection fails before it is cut off.
    statementTimeoutMs: 20_000,
  });
  const routing = createRoutingRuntime({
    pool,
    logger: logger.child({ component: "routing" }),
    redisUrls: config.redisUrls,
    lockWaitMs: config.lockWaitMs,
    lockTtlMs: config.lockTtlMs,
    defaultDomain: config.defaultDomain,
    routeHistory: config.routeHistory,
    operationsRetentionMs: config.operationsRetentionMs,
  });
  await routing.start();

  const server = await startServer({
    name: SERVICE,
    host: config.address.host,
    port: config.address.port,
    logger,
    apiToken: config.apiToken,
    requestRules: ROUTING_REQUEST_RULES,
    readMaxBytes: config.maxRequestBytes,
    files: [file_hydra_v1_routing],
    routes: (router) => {
      router.service(RoutingService, routing.service);
    },
  });
  // Handlers first: a supervisor may signal as soon as it reads "listening".
  exitOnSignals(logger, async () => {
    await server.close();
    await routing.close();
    await pool.end();
  });

  logger.info({ url: server.url, redis: config.redisUrls.length, auth: Boolean(config.apiToken) }, "listening");
}

main().catch(failStartup(SERVICE));
