// deploy-svc: hydra.v1.DeployService and the management API ctrl.v1.*, running the durable
// Deploy, Rollback, Promote and Standby workflows.
import {
  buildBackendsConfigFromEnv,
  createBuildBackends,
  InvalidImageReferenceError,
  parseImageReference,
} from "@hydra/build";
import { clusterConfigFromEnv, createClusterDriver, SimulatedDriver, type ClusterDriverConfig } from "@hydra/cluster";
import { applyMigrations, createPool, createPrisma, ensureDatabase, redact, withDatabase } from "@hydra/db";
import {
  Activator,
  deleteExpiredDeployData,
  DeployApi,
  DeploymentEventWakeups,
  migrateDomainNames,
} from "@hydra/deploy";
import { DeploymentService, ProjectService } from "@hydra/proto/ctrl/v1";
import { file_ctrl_v1_deployment, file_ctrl_v1_project, file_hydra_v1_deployment } from "@hydra/proto/files";
import { DeployService } from "@hydra/proto/hydra/v1";
import { ProjectStore } from "@hydra/projects";
import { createRoutingClient } from "@hydra/routing/client";
import { checkPostgres, ConfigError, createLogger, exitOnSignals, failStartup, startServer } from "@hydra/server-kit";
import { createEngine } from "@hydra/workflow";
import { imageBuilder } from "./builder";
import { loadDeployConfig } from "./config";
import { deployService } from "./deploy-service";
import { deploymentService } from "./deployment-service";
import { projectService } from "./project-service";
import { DEPLOY_REQUEST_RULES } from "./request-rules";
import { deployStepEvents } from "./step-events";

const SERVICE = "deploy-svc";

/** Why a docker image reference is unusable, or undefined. */
function imageProblem(image: string): string | undefined {
  try {
    parseImageReference(image);
    return undefined;
  } catch (error) {
    if (error instanceof InvalidImageReferenceError) return error.message;
    throw error;
  }
}

function loadClusterConfig(): ClusterDriverConfig {
  try {
    return clusterConfigFromEnv();
  } catch (error) {
    throw new ConfigError([(error as Error).message]);
  }
}

async function main(): Promise<void> {
  const config = loadDeployConfig();
  const clusterConfig = loadClusterConfig();
  const logger = createLogger(SERVICE, config.logLevel);

  // The service database may not exist yet: check the server through its maintenance database.
  await checkPostgres(withDatabase(config.databaseUrl, "postgres"));
  await ensureDatabase(config.databaseUrl);
  const migrations = await applyMigrations(config.databaseUrl);
  logger.info({ database: redact(config.databaseUrl), applied: migrations.applied }, "database ready");

  const pool = createPool(config.databaseUrl, { applicationName: SERVICE, max: 30 });
  // Before any run routes: domains named by the old, non-injective scheme move to their new names.
  const moved = await migrateDomainNames(pool, config.defaultDomain);
  if (moved.renamed.length + moved.dropped.length + moved.refused.length > 0)
    logger.info(moved, "migrated generated domain names");
  const prisma = createPrisma(pool);
  const cluster = createClusterDriver(clusterConfig);
  const router = createRoutingClient({ baseUrl: config.routingServiceUrl, token: config.apiToken });
  const engine = createEngine({
    pool,
    leaseMs: config.leaseMs,
    concurrency: config.workflowConcurrency,
    logger: logger.child({ component: "workflow" }),
    onStepEvent: deployStepEvents(pool, logger),
  });
  // Rollback and Promote have slots of their own: they must not wait behind deploys.
  const switchEngine = createEngine({
    pool,
    leaseMs: config.leaseMs,
    concurrency: 16,
    logger: logger.child({ component: "workflow-switch" }),
  });
  const deps = {
    pool,
    cluster,
    router,
    builder: imageBuilder(createBuildBackends(buildBackendsConfigFromEnv())),
    engine,
    settings: {
      apex: config.defaultDomain,
      readyTimeoutMs: config.readyTimeoutMs,
      standbyDelayMs: config.standbyDelayMs,
      buildTimeoutMs: config.buildTimeoutMs,
      appPort: config.appPort,
      sentinel: {
        image: config.sentinelImage,
        port: config.sentinelPort,
        replicas: { production: 3, preview: 1 },
        ...(config.sentinelResources ? { resources: config.sentinelResources } : {}),
      },
      testStepDelayMs: config.testStepDelayMs,
    },
  };
  const api = new DeployApi(deps, { imageProblem, switchEngine });
  api.registerWorkflows();
  const wakeups = new DeploymentEventWakeups(pool, (error) => logger.warn({ err: error }, "deployment event listener"));
  await wakeups.start();
  await engine.start();
  await switchEngine.start();
  // Wake on request: the local cluster's sentinels hand requests for deployments on standby here.
  let activator: Activator | null = null;
  if (cluster instanceof SimulatedDriver && clusterConfig.kind === "simulated" && clusterConfig.serve) {
    activator = new Activator({
      pool,
      engine: switchEngine,
      waitMs: config.wakeWaitMs,
      readyTimeoutMs: config.readyTimeoutMs,
      onError: (error, deploymentId) => logger.warn({ err: error, deployment_id: deploymentId }, "activator"),
    });
    const address = await activator.listen(config.activatorAddress.host, config.activatorAddress.port);
    await cluster.setActivator(address);
    logger.info({ address }, "activator listening");
  }
  // Deployments whose run was never started (a crash between the insert and the start): now,
  // and every minute, since another instance may have crashed so.
  const startUnstarted = () =>
    api.startUnstarted().then(
      (ids) => ids.length > 0 && logger.warn({ deployments: ids }, "started the runs of deployments that had none"),
      (error: unknown) => logger.warn({ err: error }, "could not start unstarted deployments"),
    );
  await startUnstarted();
  const unstartedTimer = setInterval(startUnstarted, 60_000);
  unstartedTimer.unref();
  // Retention (HYDRA_RETENTION): hourly, in short batches; several instances doing it at once is harmless.
  const retentionTimer = setInterval(() => {
    deleteExpiredDeployData(pool, config.retentionMs).then(
      (deleted) => logger.info({ deleted }, "retention"),
      (error: unknown) => logger.warn({ err: error }, "retention failed"),
    );
  }, 3_600_000);
  retentionTimer.unref();

  const projects = new ProjectStore(prisma, () => cluster.regions());
  const server = await startServer({
    name: SERVICE,
    host: config.address.host,
    port: config.address.port,
    logger,
    apiToken: config.apiToken,
    requestRules: DEPLOY_REQUEST_RULES,
    readMaxBytes: config.maxRequestBytes,
    files: [file_hydra_v1_deployment, file_ctrl_v1_project, file_ctrl_v1_deployment],
    routes: (router) => {
      router.service(ProjectService, projectService(projects));
      router.service(DeploymentService, deploymentService(api, engine, pool, wakeups));
      router.service(DeployService, deployService(api));
    },
  });
  // Handlers first: a supervisor may signal as soon as it reads "listening".
  exitOnSignals(logger, async () => {
    clearInterval(unstartedTimer);
    clearInterval(retentionTimer);
    await server.close();
    await activator?.close();
    // Runs in flight finish or are handed back (their leases released) for another instance.
    await Promise.all([engine.stop({ graceMs: 5_000 }), switchEngine.stop({ graceMs: 5_000 })]);
    await wakeups.stop();
    router.close();
    await cluster.close();
    await prisma.$disconnect();
    await pool.end();
  });

  logger.info(
    {
      url: server.url,
      clusterDriver: cluster.kind,
      regions: cluster.regions(),
      worker: engine.workerId,
      auth: Boolean(config.apiToken),
    },
    "listening",
  );
}

main().catch(failStartup(SERVICE));
