// deploy-svc: hydra.v1.DeployService and the management API ctrl.v1.*.
import { applyMigrations, createPool, createPrisma, ensureDatabase, redact, withDatabase } from "@hydra/db";
import { DeploymentService, ProjectService } from "@hydra/proto/ctrl/v1";
import { file_ctrl_v1_deployment, file_ctrl_v1_project, file_hydra_v1_deployment } from "@hydra/proto/files";
import { DeployService } from "@hydra/proto/hydra/v1";
import { ProjectStore } from "@hydra/projects";
import { checkPostgres, createLogger, exitOnSignals, failStartup, startServer } from "@hydra/server-kit";
import { loadDeployConfig } from "./config";
import { pendingDeployService, pendingDeploymentService } from "./pending-services";
import { projectService } from "./project-service";

const SERVICE = "deploy-svc";

async function main(): Promise<void> {
  const config = loadDeployConfig();
  const logger = createLogger(SERVICE, config.logLevel);

  // The service database may not exist yet: check the server through its maintenance database.
  await checkPostgres(withDatabase(config.databaseUrl, "postgres"));
  await ensureDatabase(config.databaseUrl);
  const migrations = await applyMigrations(config.databaseUrl);
  logger.info({ database: redact(config.databaseUrl), applied: migrations.applied }, "database ready");

  const pool = createPool(config.databaseUrl, { applicationName: SERVICE });
  const prisma = createPrisma(pool);
  const regions = () => (config.clusterDriver === "simulated" ? config.simulatedRegions : []);
  const projects = new ProjectStore(prisma, regions);

  const server = await startServer({
    name: SERVICE,
    host: config.address.host,
    port: config.address.port,
    logger,
    apiToken: config.apiToken,
    readMaxBytes: config.maxRequestBytes,
    files: [file_hydra_v1_deployment, file_ctrl_v1_project, file_ctrl_v1_deployment],
    routes: (router) => {
      router.service(ProjectService, projectService(projects));
      router.service(DeploymentService, pendingDeploymentService);
      router.service(DeployService, pendingDeployService);
    },
  });
  logger.info({ url: server.url, clusterDriver: config.clusterDriver, auth: Boolean(config.apiToken) }, "listening");

  exitOnSignals(logger, async () => {
    await server.close();
    await prisma.$disconnect();
    await pool.end();
  });
}

main().catch(failStartup(SERVICE));
