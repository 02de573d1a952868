import type { Pool, PoolClient } from "@hydra/db";
import { namespaceName, workloadName } from "@hydra/cluster";
import { isLocalHostname } from "../../../packages/routing/src/hostname";
import { routingInvariantViolations } from "../../../packages/routing/src/testing";
import { TERMINAL_DEPLOYMENT_STATUSES } from "../../../packages/deploy/src/sql/rows";

/**
 * The invariants a churn run must keep, checked against PostgreSQL (and the cluster) while
 * processes die and at the end. Each finding is data: which invariant, what was seen.
 */
export type Invariant =
  /** A project's live pointer differs from the deployment of one of its LIVE domains. */
  | "live-pointer"
  /** SPEC §4 1–3 beyond the live pointer: domains in their project, gateway configs, generations 1..N. */
  | "routing"
  /** A step checkpoint recorded twice, or changed after it was recorded as completed. */
  | "step-once"
  /** A deployment (or its deploy/rollback/promote run) not terminal by the deadline after the churn. */
  | "terminal"
  /** A deployment behind a LIVE, ENVIRONMENT or BRANCH domain at zero replicas once quiescent. */
  | "replicas"
  /** A call answered `internal` or `unknown`. */
  | "answer";

export interface Violation {
  invariant: Invariant;
  detail: string;
}

/** Runs that move deployments; standby runs only sleep and scale down. */
export const SWITCH_AND_DEPLOY_KINDS = ["deploy", "rollback", "promote"];
const ENDED_RUN_STATUSES = ["completed", "failed", "cancelled"];

/** Recorded-value markers (`$now`, `$randomId`, `$cancelled`…) may repeat in a run; steps and compensations may not. */
const ONCE_PER_RUN = "(name NOT LIKE '$%' OR name LIKE '$compensate:%')";

export class InvariantWatch {
  readonly violations: Violation[] = [];
  samples = 0;
  /** run_id#sequence → what its completed checkpoint recorded, as first seen. */
  private readonly completed = new Map<string, string>();

  constructor(
    private readonly pool: Pool,
    private readonly apex: string,
  ) {}

  private add(invariant: Invariant, detail: string): void {
    // One finding per distinct fact, however many samples saw it.
    if (!this.violations.some((v) => v.invariant === invariant && v.detail === detail))
      this.violations.push({ invariant, detail });
  }

  report(invariant: Invariant, detail: string): void {
    this.add(invariant, detail);
  }

  /** One consistent read (a REPEATABLE READ snapshot) of the routing invariants and the step journal. */
  async sample(): Promise<void> {
    const client = await this.pool.connect();
    try {
      await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      await this.checkLivePointers(client);
      await this.checkRouting(client);
      await this.checkStepsOnce(client);
      await client.query("COMMIT");
      this.samples++;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  private async checkLivePointers(db: PoolClient): Promise<void> {
    const { rows } = await db.query<{ project_id: string; live: string | null; name: string; deployment_id: string }>(
      `SELECT p.id AS project_id, p.live_deployment_id AS live, d.name, d.deployment_id
         FROM domains d JOIN projects p ON p.id = d.project_id
        WHERE d.sticky = 'live' AND d.deployment_id IS DISTINCT FROM p.live_deployment_id`,
    );
    for (const r of rows)
      this.add(
        "live-pointer",
        `project ${r.project_id}: live pointer ${r.live}, LIVE domain ${r.name} → ${r.deployment_id}`,
      );
  }

  private async checkRouting(db: PoolClient): Promise<void> {
    const { rows } = await db.query<{ id: string }>("SELECT id FROM projects ORDER BY id");
    for (const { id } of rows) {
      for (const detail of await routingInvariantViolations(db, id, (host) => isLocalHostname(host, this.apex)))
        this.add("routing", `project ${id}: ${detail}`);
    }
  }

  private async checkStepsOnce(db: PoolClient): Promise<void> {
    const twice = await db.query<{ run_id: string; name: string; n: number }>(
      `SELECT run_id, name, count(*)::int AS n FROM workflow_steps
        WHERE status = 'completed' AND ${ONCE_PER_RUN} GROUP BY run_id, name HAVING count(*) > 1`,
    );
    for (const r of twice.rows) this.add("step-once", `run ${r.run_id}: step ${r.name} completed ${r.n} times`);
    // The engine emits a step's `completed` event after its checkpoint, once per completion.
    const events = await db.query<{ deployment_id: string; name: string; n: number }>(
      `SELECT deployment_id, payload->>'name' AS name, count(*)::int AS n FROM deployment_events
        WHERE kind = 'step' AND payload->>'state' = 'completed' GROUP BY 1, 2 HAVING count(*) > 1`,
    );
    for (const r of events.rows)
      this.add("step-once", `deployment ${r.deployment_id}: ${r.n} completed events of step ${r.name}`);
    // A completed checkpoint is final: a stale owner must never rewrite it.
    const steps = await db.query<{ key: string; signature: string }>(
      `SELECT run_id || '#' || sequence AS key, name || '|' || attempts || '|' || md5(coalesce(output::text, '')) || '|' || coalesce(ended_at::text, '') AS signature
         FROM workflow_steps WHERE status = 'completed'`,
    );
    const seen = new Set<string>();
    for (const { key, signature } of steps.rows) {
      seen.add(key);
      const before = this.completed.get(key);
      if (before === undefined) this.completed.set(key, signature);
      else if (before !== signature)
        this.add("step-once", `step ${key} rewritten after completion: ${before} → ${signature}`);
    }
    for (const key of this.completed.keys())
      if (!seen.has(key)) this.add("step-once", `completed step ${key} no longer completed`);
  }

  /** Deployments not terminal and deploy/rollback/promote runs not ended (empty when all are). */
  async unfinished(): Promise<string[]> {
    const deployments = await this.pool.query<{ id: string; status: string; workflow_id: string | null }>(
      "SELECT id, status::text AS status, workflow_id FROM deployments WHERE NOT (status::text = ANY($1)) ORDER BY id",
      [TERMINAL_DEPLOYMENT_STATUSES],
    );
    const runs = await this.pool.query<{ id: string; status: string; error: string | null }>(
      "SELECT id, status::text AS status, error FROM workflow_runs WHERE kind = ANY($1) AND NOT (status::text = ANY($2)) ORDER BY id",
      [SWITCH_AND_DEPLOY_KINDS, ENDED_RUN_STATUSES],
    );
    return [
      ...deployments.rows.map((d) => `deployment ${d.id} is ${d.status} (run ${d.workflow_id ?? "none"})`),
      ...runs.rows.map((r) => `run ${r.id} is ${r.status}${r.error ? `: ${r.error}` : ""}`),
    ];
  }

  /** Runs of any kind still pending, running or sleeping (the system is quiescent when empty). */
  async active(): Promise<string[]> {
    const { rows } = await this.pool.query<{ id: string; status: string; wake_at: Date | null }>(
      "SELECT id, status::text AS status, wake_at FROM workflow_runs WHERE status IN ('pending', 'running', 'sleeping') ORDER BY id",
    );
    return rows.map((r) => `${r.id} ${r.status}${r.wake_at ? ` until ${r.wake_at.toISOString()}` : ""}`);
  }

  /**
   * Every deployment behind a LIVE, ENVIRONMENT or BRANCH domain has replicas in each region
   * of its environment, as the cluster itself says. (Commit domains may point at standby
   * deployments: those wake on request.)
   */
  async checkReplicas(
    replicasOf: (region: string, namespace: string, name: string) => Promise<number | null>,
  ): Promise<number> {
    const { rows } = await this.pool.query<{
      name: string;
      sticky: string;
      deployment_id: string;
      workspace_id: string;
      status: string;
      regions: Record<string, number>;
    }>(
      `SELECT d.name, d.sticky::text AS sticky, d.deployment_id, dep.workspace_id, dep.status::text AS status, e.regions
         FROM domains d JOIN deployments dep ON dep.id = d.deployment_id JOIN environments e ON e.id = dep.environment_id
        WHERE d.sticky IN ('live', 'environment', 'branch') ORDER BY d.name`,
    );
    for (const row of rows) {
      for (const region of Object.keys(row.regions)) {
        const replicas = await replicasOf(region, namespaceName(row.workspace_id), workloadName(row.deployment_id));
        if (!replicas) {
          this.add(
            "replicas",
            `${row.sticky} domain ${row.name} → ${row.deployment_id} (${row.status}) has ${replicas === null ? "no Deployment" : "0 replicas"} in ${region}`,
          );
        }
      }
    }
    return rows.length;
  }
}
