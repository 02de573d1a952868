import { randomUUID } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import { Code, ConnectError } from "@connectrpc/connect";
import { isId } from "@hydra/db";
import { WorkflowNotFoundError, WorkflowTimeoutError, type CancelKind, type WorkflowEngine } from "@hydra/workflow";
import { checkCreateDeployment, type CreateDeploymentInput } from "./deployment-input";
import { DeploymentStore, deployWorkflowId } from "./deployment-store";
import { claimDeploymentCancel } from "./sql/claimDeploymentCancel";
import { findSupersedable } from "./sql/findSupersedable";
import { findUnstartedDeployments } from "./sql/findUnstartedDeployments";
import { setDeploymentStatus } from "./sql/setDeploymentStatus";
import { TERMINAL_DEPLOYMENT_STATUSES, type DeploymentRow, type DeploymentSource } from "./sql/rows";
import { codeOfFailure, type DeployDeps } from "./workflows/deps";
import { ACTIVE_STATUSES, DEPLOY_KIND, deployWorkflow, type DeployInput } from "./workflows/deploy";
import { standbyWorkflow } from "./workflows/standby";
import {
  checkPromote,
  checkRollback,
  PROMOTE_KIND,
  promoteWorkflow,
  ROLLBACK_KIND,
  rollbackWorkflow,
  type PromoteInput,
  type RollbackInput,
  type SwitchLiveOutput,
} from "./workflows/switch-live";
import { wakeWorkflow } from "./workflows/wake";

/**
 * What deploy-svc's handlers call: each operation validates, then starts (and for Rollback
 * and Promote, awaits) its durable workflow. Errors are ConnectErrors with their codes.
 */
export interface DeployApiOptions {
  /** How long Rollback and Promote wait for their workflow before answering deadline_exceeded (it goes on). */
  switchTimeoutMs?: number;
  /** Checks a docker image reference; undefined when it is fine. */
  imageProblem?: (image: string) => string | undefined;
  /** Runs Rollback and Promote (default: the main engine). */
  switchEngine?: WorkflowEngine;
}

export class DeployApi {
  readonly store: DeploymentStore;
  private readonly engine: WorkflowEngine;
  private readonly switchEngine: WorkflowEngine;

  constructor(
    private readonly deps: DeployDeps,
    private readonly options: DeployApiOptions = {},
  ) {
    this.store = new DeploymentStore(deps.pool);
    this.engine = deps.engine;
    this.switchEngine = options.switchEngine ?? deps.engine;
  }

  /**
   * Registers the workflows (before the engines start). Rollback and Promote go on their own
   * engine when one is given, so they never queue behind deploys holding every slot of the
   * main engine through a 15-minute wait-ready or a build.
   */
  registerWorkflows(): void {
    this.engine.register(deployWorkflow(this.deps)).register(standbyWorkflow(this.deps));
    this.switchEngine
      .register(rollbackWorkflow(this.deps))
      .register(promoteWorkflow(this.deps))
      .register(wakeWorkflow(this.deps));
  }

  async createDeployment(input: CreateDeploymentInput): Promise<{ deployment: DeploymentRow; workflowId: string }> {
    const checked = checkCreateDeployment(input, this.options.imageProblem ?? (() => undefined));
    const { deployment } = await this.store.create(checked);
    const workflowId = await this.startDeploy(deployment);
    return { deployment: await this.store.get(deployment.id), workflowId };
  }

  /** hydra.v1 Deploy: starts (or returns) the Deploy run of an existing deployment row. */
  async deploy(
    deploymentId: string,
    source: DeploymentSource | null,
    command: string[],
  ): Promise<{ deployment: DeploymentRow; workflowId: string }> {
    const deployment = await this.store.get(deploymentId);
    // Deep equality: jsonb returns the stored source with its keys reordered.
    if (source && !isDeepStrictEqual(source, deployment.source)) {
      throw new ConnectError(`deployment ${deploymentId} was already deployed with another source`, Code.AlreadyExists);
    }
    if (command.length > 0 && !isDeepStrictEqual(command, deployment.command)) {
      throw new ConnectError(
        `deployment ${deploymentId} was already deployed with another command`,
        Code.AlreadyExists,
      );
    }
    const workflowId = await this.startDeploy(deployment);
    return { deployment: await this.store.get(deploymentId), workflowId };
  }

  private async startDeploy(deployment: DeploymentRow): Promise<string> {
    const workflowId = deployment.workflow_id ?? deployWorkflowId(deployment.id);
    await this.engine.startRun<DeployInput>({
      kind: DEPLOY_KIND,
      id: workflowId,
      key: deployment.project_id,
      input: { deploymentId: deployment.id },
    });
    // Newest wins before routing, too: older deployments of this environment and branch that
    // have not reached routing stop here.
    const older = await findSupersedable(this.deps.pool, {
      id: deployment.id,
      environmentId: deployment.environment_id,
      branch: deployment.branch,
      sequence: deployment.sequence,
    });
    // Best effort: this deploy goes on whatever happens to the older ones (routing's
    // newest-wins protects it anyway).
    await Promise.allSettled(
      older.map(async (d) => {
        const reason = `superseded by ${deployment.id}`;
        // Only if it has not begun routing: past that, newest-wins in routing decides.
        if (await claimDeploymentCancel(this.deps.pool, d.id, reason))
          await this.cancelRun(d.id, d.workflow_id ?? deployWorkflowId(d.id), reason, "superseded");
      }),
    );
    return workflowId;
  }

  /**
   * Cancels a deployment's Deploy run. A run that never started is cancelled at once without
   * its compensations (nothing was done to undo), and one that was never created has no
   * compensations at all: the deployment's final status is then recorded here.
   */
  private async cancelRun(deploymentId: string, workflowId: string, reason: string, kind: CancelKind): Promise<void> {
    let status: string;
    try {
      status = await this.engine.cancel(workflowId, reason, { kind });
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) throw error;
      status = "cancelled";
    }
    if (status === "cancelled") {
      await setDeploymentStatus(this.deps.pool, {
        id: deploymentId,
        status: kind,
        reason,
        from: ACTIVE_STATUSES,
      });
    }
  }

  /**
   * Starts the Deploy runs of deployments that never got one (a crash between inserting the
   * row and starting its run). deploy-svc calls it at start and then periodically.
   */
  async startUnstarted(): Promise<string[]> {
    const rows = await findUnstartedDeployments(this.deps.pool);
    for (const row of rows) await this.startDeploy(row);
    return rows.map((r) => r.id);
  }

  async cancelDeployment(deploymentId: string, reason: string): Promise<DeploymentRow> {
    const deployment = await this.store.get(deploymentId);
    const why = reason || "cancelled by request";
    if (!(await claimDeploymentCancel(this.deps.pool, deploymentId, why))) {
      const now = await this.store.get(deploymentId);
      if (TERMINAL_DEPLOYMENT_STATUSES.includes(now.status)) {
        throw new ConnectError(`deployment ${deploymentId} is already ${now.status}`, Code.FailedPrecondition);
      }
      throw new ConnectError(
        `deployment ${deploymentId} is already being routed; roll back instead`,
        Code.FailedPrecondition,
      );
    }
    const workflowId = deployment.workflow_id ?? deployWorkflowId(deployment.id);
    await this.cancelRun(deploymentId, workflowId, why, "cancelled");
    // Usually settles in milliseconds (at the next step boundary); a long step is aborted.
    await this.engine.result(workflowId, { timeoutMs: 10_000, settleOnPause: true }).catch((error: unknown) => {
      if (!(error instanceof WorkflowTimeoutError) && !(error instanceof WorkflowNotFoundError)) throw error;
    });
    return this.store.get(deploymentId);
  }

  async rollback(input: RollbackInput): Promise<SwitchLiveOutput> {
    for (const [field, id] of [
      ["source_deployment_id", input.sourceDeploymentId],
      ["target_deployment_id", input.targetDeploymentId],
    ] as const) {
      if (!isId("deployment", id))
        throw new ConnectError(`${field} "${id}" is not a deployment id (dep_…)`, Code.InvalidArgument);
    }
    const { target } = await checkRollback(this.deps.pool, input);
    return this.runSwitch(ROLLBACK_KIND, target.projectId, input);
  }

  async promote(input: PromoteInput): Promise<SwitchLiveOutput> {
    if (!isId("deployment", input.targetDeploymentId)) {
      throw new ConnectError(
        `target_deployment_id "${input.targetDeploymentId}" is not a deployment id (dep_…)`,
        Code.InvalidArgument,
      );
    }
    const { target } = await checkPromote(this.deps.pool, input);
    return this.runSwitch(PROMOTE_KIND, target.projectId, input);
  }

  private async runSwitch(
    kind: string,
    projectId: string,
    input: RollbackInput | PromoteInput,
  ): Promise<SwitchLiveOutput> {
    const engine = this.switchEngine;
    const id = `${kind}:${randomUUID()}`;
    await engine.startRun({ kind, id, key: projectId, input });
    let outcome;
    try {
      outcome = await engine.result<SwitchLiveOutput>(id, {
        timeoutMs: this.options.switchTimeoutMs ?? 60_000,
        settleOnPause: true,
      });
    } catch (error) {
      if (error instanceof WorkflowTimeoutError) {
        throw new ConnectError(`${kind} ${id} is still running; it will complete without you`, Code.DeadlineExceeded);
      }
      throw error;
    }
    if (outcome.status === "completed") return outcome.output;
    if (outcome.status === "paused") {
      // A synchronous call gives up rather than waiting for an operator: cancelling runs the
      // compensations (the target's standby comes back), so the refused call changes nothing.
      await engine.cancel(id, `${kind} gave up after its retries`);
      await engine.result(id, { timeoutMs: 10_000 }).catch(() => {});
      const code = outcome.code === "aborted" ? Code.Aborted : Code.Unavailable;
      throw new ConnectError(`${kind} ${id} gave up after its retries: ${outcome.error}`, code);
    }
    const { code, message } = codeOfFailure(outcome);
    throw new ConnectError(message, code);
  }
}
