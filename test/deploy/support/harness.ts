import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { createPool, type Pool } from "@hydra/db";
import { createTestDatabase, type TestDatabase } from "@hydra/db/testing";
import type { Client } from "@connectrpc/connect";
import { DeploymentService, ProjectService } from "@hydra/proto/ctrl/v1";
import { DeployService } from "@hydra/proto/hydra/v1";
import { domainLabel, type DomainLabelKind } from "../../../packages/deploy/src/domain-label";
import { isLocalHostname } from "../../../packages/routing/src/hostname";
import { routingInvariantViolations } from "../../../packages/routing/src/testing";
import { ClientFactory } from "../../support/clients";
import { startService, type ServiceProcess } from "../../support/service-process";

/**
 * One hydra per test file: its own database, a routing-svc and a deploy-svc as real processes,
 * Connect clients, and a pool to read the database back. deploy-svc can be killed and
 * restarted (its URL changes; the clients follow).
 */
export const APEX = "hydra.run";

export interface HydraOptions {
  label: string;
  /** deploy-svc's environment on top of the shared defaults (DATABASE_URL, ROUTING_SVC_URL…). */
  deployEnv?: Record<string, string>;
  /** A fixed routing-svc port, so it can be restarted where deploy-svc expects it. */
  routingPort?: number;
}

export class Hydra {
  deploySvc!: ServiceProcess;
  routingSvc!: ServiceProcess;
  pool!: Pool;
  db!: TestDatabase;
  private factory = new ClientFactory();
  projects!: Client<typeof ProjectService>;
  deployments!: Client<typeof DeploymentService>;
  deploys!: Client<typeof DeployService>;
  private baseDeployEnv: Record<string, string> = {};
  private routingEnv: Record<string, string> = {};

  static async start(options: HydraOptions): Promise<Hydra> {
    const hydra = new Hydra();
    hydra.db = await createTestDatabase(options.label);
    hydra.pool = createPool(hydra.db.url, { max: 4 });
    hydra.routingEnv = {
      DATABASE_URL: hydra.db.url,
      HYDRA_DEFAULT_DOMAIN: APEX,
      ...(options.routingPort ? { ROUTING_SVC_ADDR: `127.0.0.1:${options.routingPort}` } : {}),
    };
    hydra.routingSvc = await startService("routing-svc", { env: hydra.routingEnv });
    hydra.baseDeployEnv = {
      DATABASE_URL: hydra.db.url,
      ROUTING_SVC_URL: hydra.routingSvc.url,
      HYDRA_DEFAULT_DOMAIN: APEX,
      HYDRA_LEASE_MS: "1500",
      HYDRA_SIMULATED_READY_MS: "0",
      ...options.deployEnv,
    };
    await hydra.startDeploy();
    return hydra;
  }

  /** Starts deploy-svc (after a previous one ended) with `extraEnv` on top of the file's environment. */
  async startDeploy(extraEnv: Record<string, string> = {}): Promise<ServiceProcess> {
    this.deploySvc = await startService("deploy-svc", { env: { ...this.baseDeployEnv, ...extraEnv } });
    this.factory.close();
    this.projects = this.factory.client(ProjectService, this.deploySvc.url);
    this.deployments = this.factory.client(DeploymentService, this.deploySvc.url);
    this.deploys = this.factory.client(DeployService, this.deploySvc.url);
    return this.deploySvc;
  }

  /** Starts routing-svc again (after it was stopped), on the same address when `routingPort` was given. */
  async restartRouting(): Promise<ServiceProcess> {
    this.routingSvc = await startService("routing-svc", { env: this.routingEnv });
    return this.routingSvc;
  }

  /** SIGKILLs deploy-svc (a crash) and starts a new one. */
  async crashAndRestart(extraEnv: Record<string, string> = {}): Promise<ServiceProcess> {
    await this.deploySvc.stop("SIGKILL");
    return this.startDeploy(extraEnv);
  }

  async close(): Promise<void> {
    this.factory.close();
    await this.deploySvc?.stop();
    await this.routingSvc?.stop();
    await this.pool?.end();
    await this.db?.drop();
  }

  async createProject(options: { slug?: string; regions?: Record<string, number> } = {}): Promise<ProjectInfo> {
    const slug = options.slug ?? `p${randomBytes(4).toString("hex")}`;
    const workspaceSlug = `w${randomBytes(4).toString("hex")}`;
    const { workspaceId } = await this.projects.createWorkspace({ name: workspaceSlug, slug: workspaceSlug });
    const created = await this.projects.createProject({
      workspaceId,
      name: slug,
      slug,
      regions: options.regions ?? {},
    });
    const env = (s: string) => created.environments.find((e) => e.slug === s)!.id;
    return {
      workspaceId,
      workspaceSlug,
      projectId: created.projectId,
      projectSlug: slug,
      productionId: env("production"),
      previewId: env("preview"),
    };
  }

  /** CreateDeployment of an image; returns the deployment id. */
  async deploy(
    project: ProjectInfo,
    options: { environment?: string; branch?: string; sha?: string; image?: string; gitRepository?: string } = {},
  ): Promise<string> {
    const sha = options.sha ?? randomSha();
    const response = await this.deployments.createDeployment({
      projectId: project.projectId,
      environmentSlug: options.environment ?? "production",
      branch: options.branch ?? "main",
      gitCommit: { commitSha: sha },
      source: options.gitRepository
        ? { case: "git", value: { repository: options.gitRepository, commitSha: sha } }
        : { case: "dockerImage", value: { image: options.image ?? "nginx:1.27" } },
    });
    return response.deploymentId;
  }

  async deployment(id: string): Promise<DeploymentRow> {
    const { rows } = await this.pool.query<DeploymentRow>(
      "SELECT id, project_id, environment_id, status::text AS status, desired_state::text AS desired_state, failure_reason, failed_step, image, workflow_id, branch, commit_sha FROM deployments WHERE id = $1",
      [id],
    );
    if (!rows[0]) throw new Error(`deployment ${id} not in the database`);
    return rows[0];
  }

  /** Polls the deployment row until its status is one of `statuses` (deadline `timeoutMs`). */
  async waitForStatus(id: string, statuses: string[], timeoutMs = 20_000): Promise<DeploymentRow> {
    return waitFor(
      `deployment ${id} to be ${statuses.join("|")}`,
      async () => {
        const row = await this.deployment(id);
        return statuses.includes(row.status) ? row : undefined;
      },
      timeoutMs,
      () => this.diagnose(id),
    );
  }

  /** What a timed-out wait reports: the deployment, its run and steps, deploy-svc's last lines. */
  async diagnose(id: string): Promise<string> {
    const deployment = await this.deployment(id);
    const run = await this.pool.query(
      "SELECT id, status::text AS status, owner, epoch, lease_expires_at, wake_at, error, cancel_reason FROM workflow_runs WHERE id = $1",
      [deployment.workflow_id],
    );
    const steps = deployment.workflow_id ? await this.steps(deployment.workflow_id) : [];
    const lines = this.deploySvc.lines
      .filter((line) => !line.includes('"deploy step"') || line.includes(id))
      .slice(-12);
    const json = (value: unknown) =>
      JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
    const others = await this.pool.query(
      "SELECT id, kind, key, status::text AS status, owner, lease_expires_at FROM workflow_runs WHERE status IN ('pending', 'running')",
    );
    return [
      json(deployment),
      json(run.rows),
      json(steps.map((s) => `${s.name}:${s.status}:${s.attempts}`)),
      `active runs: ${json(others.rows)}`,
      ...lines,
    ].join("\n");
  }

  /** Waits until the deployment's Deploy run has ended (READY comes before update-live and schedule-standby). */
  async waitForRunEnd(runId: string, timeoutMs = 20_000): Promise<RunRow> {
    return waitFor(
      `run ${runId} to end`,
      async () => {
        const run = await this.run(runId);
        return run && ["completed", "failed", "cancelled", "paused"].includes(run.status) ? run : undefined;
      },
      timeoutMs,
      async () => JSON.stringify(await this.run(runId)),
    );
  }

  /** Deploys and waits until the deployment is READY and its run completed. */
  async deployReady(project: ProjectInfo, options: Parameters<Hydra["deploy"]>[1] = {}): Promise<string> {
    const id = await this.deploy(project, options);
    await this.waitForStatus(id, ["ready", "failed", "cancelled", "superseded"]);
    const run = await this.waitForRunEnd(`deploy:${id}`);
    const row = await this.deployment(id);
    if (row.status !== "ready" || run.status !== "completed")
      throw new Error(`deployment ${id} ended ${row.status} (run ${run.status}: ${run.error})`);
    return id;
  }

  async run(runId: string): Promise<RunRow | undefined> {
    const { rows } = await this.pool.query<RunRow>(
      "SELECT id, kind, key, status::text AS status, error, output FROM workflow_runs WHERE id = $1",
      [runId],
    );
    return rows[0];
  }

  async steps(runId: string): Promise<StepRow[]> {
    const { rows } = await this.pool.query<StepRow>(
      "SELECT sequence, name, status::text AS status, attempts FROM workflow_steps WHERE run_id = $1 ORDER BY sequence",
      [runId],
    );
    return rows;
  }

  async domains(projectId: string): Promise<DomainRow[]> {
    const { rows } = await this.pool.query<DomainRow>(
      "SELECT name, sticky::text AS sticky, deployment_id, environment_id FROM domains WHERE project_id = $1 ORDER BY name",
      [projectId],
    );
    return rows;
  }

  /** name → deployment id of the project's domains. */
  async domainMap(projectId: string): Promise<Record<string, string>> {
    return Object.fromEntries((await this.domains(projectId)).map((d) => [d.name, d.deployment_id]));
  }

  async projectRow(
    projectId: string,
  ): Promise<{ live_deployment_id: string | null; is_rolled_back: boolean; routing_generation: bigint }> {
    const { rows } = await this.pool.query(
      "SELECT live_deployment_id, is_rolled_back, routing_generation FROM projects WHERE id = $1",
      [projectId],
    );
    return rows[0];
  }

  /** SPEC §4 invariants 1–3 for a project: an empty list when they hold. */
  async invariantViolations(projectId: string): Promise<string[]> {
    return routingInvariantViolations(this.pool, projectId, (host) => isLocalHostname(host, APEX));
  }

  /** Waits until no workflow run is pending or running (sleeping timers may stay). */
  async settle(timeoutMs = 20_000): Promise<void> {
    await waitFor(
      "every workflow run to settle",
      async () => {
        const { rows } = await this.pool.query("SELECT id FROM workflow_runs WHERE status IN ('pending', 'running')");
        return rows.length === 0 ? true : undefined;
      },
      timeoutMs,
    );
  }

  /** Every row of the tables a rejected call must not change. */
  async snapshot(): Promise<Record<string, unknown[]>> {
    const tables = {
      projects: "SELECT * FROM projects ORDER BY id",
      domains: "SELECT * FROM domains ORDER BY id",
      gateway_configs: "SELECT * FROM gateway_configs ORDER BY hostname",
      deployments: "SELECT * FROM deployments ORDER BY id",
      workflow_runs: "SELECT * FROM workflow_runs ORDER BY id",
      routing_operations: "SELECT * FROM routing_operations ORDER BY id",
    };
    const snapshot: Record<string, unknown[]> = {};
    for (const [name, sql] of Object.entries(tables)) snapshot[name] = (await this.pool.query(sql)).rows;
    return JSON.parse(
      JSON.stringify(snapshot, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v)),
    ) as Record<string, unknown[]>;
  }
}

export interface ProjectInfo {
  workspaceId: string;
  workspaceSlug: string;
  projectId: string;
  projectSlug: string;
  productionId: string;
  previewId: string;
}

export interface DeploymentRow {
  id: string;
  project_id: string;
  environment_id: string;
  status: string;
  desired_state: string;
  failure_reason: string | null;
  failed_step: string | null;
  image: string | null;
  workflow_id: string | null;
  branch: string;
  commit_sha: string;
}

export interface RunRow {
  id: string;
  kind: string;
  key: string;
  status: string;
  error: string | null;
  output: unknown;
}

export interface StepRow {
  sequence: number;
  name: string;
  status: string;
  attempts: number;
}

export interface DomainRow {
  name: string;
  sticky: string;
  deployment_id: string;
  environment_id: string | null;
}

export function randomSha(): string {
  return randomBytes(20).toString("hex");
}

/** The domains SPEC §3 step 9 gives a deployment (in the injective scheme of domain-label.ts). */
export function expectedDomains(project: ProjectInfo, options: { sha: string; branch: string; environment: string }) {
  const owner = { projectSlug: project.projectSlug, workspaceSlug: project.workspaceSlug };
  const host = (kind: DomainLabelKind) => `${domainLabel({ ...owner, ...kind })}.${APEX}`;
  return {
    commit: host({ kind: "commit", sha7: options.sha.slice(0, 7) }),
    branch: host({ kind: "branch", branch: options.branch }),
    environment: host({ kind: "environment", environmentSlug: options.environment }),
    live: host({ kind: "live" }),
  };
}

/** Polls `probe` until it returns a value (deadline `timeoutMs`). */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 20_000,
  describe?: () => Promise<string>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${describe ? `: ${await describe()}` : ""}`);
    }
    await sleep(25);
  }
}

/** Whether a log line is deploy-svc's "deploy step" line of `step` in `state` for `deploymentId`. */
export function isStepLine(deploymentId: string, step: string, state = "started"): (line: string) => boolean {
  return (line) => {
    if (!line.includes('"deploy step"') || !line.includes(deploymentId)) return false;
    const parsed = JSON.parse(line) as { step?: string; state?: string; deployment_id?: string };
    return parsed.deployment_id === deploymentId && parsed.step === step && parsed.state === state;
  };
}
