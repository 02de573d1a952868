import { setTimeout as sleep } from "node:timers/promises";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Pool } from "@hydra/db";
import { TERMINAL_DEPLOYMENT_STATUSES } from "../../../packages/deploy/src/sql/rows";
import type { Fleet } from "./fleet";
import type { InvariantWatch } from "./invariants";
import type { Rng } from "./rng";

/**
 * The callers of a churn run: each loops over random operations (deploy, rollback, promote)
 * on random projects, through any deploy-svc that is up, retrying on `unavailable` the way a
 * client of several instances does. Outcomes are counted; `internal`/`unknown` answers are
 * violations (hydra must never answer them).
 */
export interface ChurnProject {
  projectId: string;
  productionId: string;
  previewId: string;
}

export type OperationKind = "deploy" | "rollback" | "promote";

/** How long one operation may keep retrying through instances that die under it. */
const RETRY_WINDOW_MS = 120_000;
/** A caller waits this long at most for its deploy to end before its next operation (pacing). */
const DEPLOY_PACE_MS = 20_000;

export class OperationDriver {
  operations = 0;
  retries = 0;
  readonly outcomes: Record<string, number> = {};
  readonly succeeded: Record<OperationKind, number> = { deploy: 0, rollback: 0, promote: 0 };

  constructor(
    private readonly fleet: Fleet,
    private readonly pool: Pool,
    private readonly projects: readonly ChurnProject[],
    private readonly watch: InvariantWatch,
  ) {}

  /** One caller: operations one after another while `going()`. */
  async run(caller: string, rng: Rng, going: () => boolean): Promise<void> {
    for (let n = 0; going(); n++) {
      const project = rng.pick(this.projects);
      const kind = rng.weighted<OperationKind>({ deploy: 5, rollback: 3, promote: 2 });
      await this.operate(kind, project, rng, `${caller}-${n}`);
    }
  }

  private async operate(kind: OperationKind, project: ChurnProject, rng: Rng, key: string): Promise<void> {
    const call = kind === "deploy" ? null : await this.switchCall(kind, project, rng);
    if (kind !== "deploy" && !call) return this.operate("deploy", project, rng, key); // nothing to switch to yet
    this.operations++;
    let outcome: string;
    try {
      if (call) await call();
      else await this.deploy(project, rng, key);
      this.succeeded[kind]++;
      outcome = "ok";
    } catch (error) {
      const connectError = ConnectError.from(error);
      outcome = Code[connectError.code];
      if (connectError.code === Code.Internal || connectError.code === Code.Unknown) {
        this.watch.report("answer", `${kind} answered ${outcome}: ${connectError.rawMessage}`);
      }
    }
    const name = `${kind}:${outcome}`;
    this.outcomes[name] = (this.outcomes[name] ?? 0) + 1;
  }

  private async deploy(project: ChurnProject, rng: Rng, key: string): Promise<void> {
    const production = rng.chance(0.8);
    const branch = production ? (rng.chance(0.75) ? "main" : "hotfix") : rng.pick(["feature-a", "feature-b"]);
    const sha = Array.from({ length: 40 }, () => rng.int(0, 15).toString(16)).join("");
    const { deploymentId } = await this.fleet.call(
      rng,
      "CreateDeployment",
      (c) =>
        c.deployments.createDeployment({
          projectId: project.projectId,
          environmentSlug: production ? "production" : "preview",
          branch,
          gitCommit: { commitSha: sha },
          source: { case: "dockerImage", value: { image: "nginx:1.27" } },
          // A retry through another instance returns the first call's deployment.
          idempotencyKey: `churn-${key}`,
        }),
      // Idempotent by its key: a call that timed out may be repeated too.
      {
        deadline: Date.now() + RETRY_WINDOW_MS,
        retryable: (code) => code === Code.DeadlineExceeded,
        onRetry: () => this.retries++,
      },
    );
    const until = Date.now() + DEPLOY_PACE_MS;
    while (Date.now() < until && !TERMINAL_DEPLOYMENT_STATUSES.includes((await this.status(deploymentId)) as never))
      await sleep(100);
  }

  /** A Rollback or Promote the project's current state allows, or null when there is none. */
  private async switchCall(
    kind: "rollback" | "promote",
    project: ChurnProject,
    rng: Rng,
  ): Promise<(() => Promise<unknown>) | null> {
    const { rows } = await this.pool.query<{ live: string | null; rolled_back: boolean }>(
      "SELECT live_deployment_id AS live, is_rolled_back AS rolled_back FROM projects WHERE id = $1",
      [project.projectId],
    );
    const live = rows[0]?.live ?? null;
    if (!live) return null;
    const ready = await this.pool.query<{ id: string }>(
      "SELECT id FROM deployments WHERE project_id = $1 AND environment_id = $2 AND status = 'ready' ORDER BY sequence",
      [project.projectId, project.productionId],
    );
    const others = ready.rows.map((r) => r.id).filter((id) => id !== live);
    // Promoting the live deployment of a rolled-back project only clears the flag: one of the choices.
    const targets = kind === "promote" && rows[0]!.rolled_back ? [...others, live] : others;
    if (targets.length === 0) return null;
    const target = rng.pick(targets);
    const options = { deadline: Date.now() + RETRY_WINDOW_MS, onRetry: () => this.retries++ };
    return kind === "rollback"
      ? () =>
          this.fleet.call(
            rng,
            "Rollback",
            (c) => c.deploys.rollback({ sourceDeploymentId: live, targetDeploymentId: target }),
            options,
          )
      : () => this.fleet.call(rng, "Promote", (c) => c.deploys.promote({ targetDeploymentId: target }), options);
  }

  private async status(deploymentId: string): Promise<string> {
    const { rows } = await this.pool.query<{ status: string }>(
      "SELECT status::text AS status FROM deployments WHERE id = $1",
      [deploymentId],
    );
    return rows[0]?.status ?? "missing";
  }
}
