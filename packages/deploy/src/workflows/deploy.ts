import { namespaceName, type InstanceInfo, type SentinelRef, type WorkloadRef } from "@hydra/cluster";
import { newId } from "@hydra/db";
import { defineWorkflow, TerminalError, type StepOptions, type WorkflowContext } from "@hydra/workflow";
import { gatewayConfigFor } from "../gateway-config";
import { buildRoutes, type Route, ROUTE_STICKY_PROTO } from "../routes";
import { findDeployment, isRouted } from "../sql/findDeployment";
import { loadDeployMetadata, type DeployMetadata } from "../sql/loadDeployMetadata";
import { createTopologies, findBuildId, recordBuildId, recordImage, recordSentinel, replaceInstances, setTopology } from "../sql/recordDeploymentFacts";
import type { DeploymentStatus } from "../sql/rows";
import { setDeploymentStatus } from "../sql/setDeploymentStatus";
import { failureReason, isTerminalError, withTestDelay, type DeployDeps } from "./deps";
import { cancelStandby, scaleDown, scheduleStandby } from "./standby";

/**
 * The Deploy workflow (SPEC §3): thirteen durable steps, names stable. Each step's output is
 * recorded, so after a crash the run resumes at the step that was running; every external
 * call in a step is idempotent (server-side apply, idempotency keys, ON CONFLICT), so the
 * step that was interrupted may safely run again.
 */
export const DEPLOY_KIND = "deploy";

export const DEPLOY_STEPS = [
  "load-metadata",
  "build",
  "deploying",
  "create-topologies",
  "ensure-sentinels",
  "ensure-network-policy",
  "apply-workloads",
  "wait-ready",
  "build-routes",
  "assign-routes",
  "ready",
  "update-live",
  "schedule-standby",
] as const;
export type DeployStep = (typeof DEPLOY_STEPS)[number];

export interface DeployInput {
  deploymentId: string;
}

export interface DeployOutput {
  deploymentId: string;
  live: boolean;
  routingGeneration: string;
  changedDomains: string[];
  standbyRunId: string | null;
}

/** Statuses a deployment may leave for a terminal one (a terminal status is never left). */
export const ACTIVE_STATUSES: DeploymentStatus[] = ["pending", "building", "deploying", "network"];

function regionsOf(meta: DeployMetadata): string[] {
  return Object.keys(meta.environment.regions).sort();
}

async function perRegion<T>(regions: string[], fn: (region: string) => Promise<T>): Promise<Record<string, T>> {
  const results = await Promise.all(regions.map(async (region) => [region, await fn(region)] as const));
  return Object.fromEntries(results);
}

export function deployWorkflow(deps: DeployDeps) {
  const { pool, cluster, router, builder, settings } = deps;

  return defineWorkflow<DeployInput, DeployOutput>(DEPLOY_KIND, async (ctx: WorkflowContext, input) => {
    const id = input.deploymentId;
    let current: DeployStep = "load-metadata";
    const step = <T>(name: DeployStep, fn: (signal: AbortSignal) => Promise<T>, options: StepOptions = {}) => {
      current = name;
      return ctx.step(name, withTestDelay(settings, name, (s) => fn(s.signal)), { isTerminal: isTerminalError, ...options });
    };

    // Registered first so it runs last: how a cancelled or timed-out run ended. (A terminal
    // step failure is recorded below, where its step and reason are known.)
    ctx.compensate("record-outcome", async () => {
      if (ctx.compensating === "cancelled") {
        const reason = ctx.cancelReason ?? "cancelled";
        const status = ctx.cancelKind === "superseded" ? "superseded" : "cancelled";
        await setDeploymentStatus(pool, { id, status, reason, from: ACTIVE_STATUSES });
      } else if (ctx.compensating === "deadline") {
        await setDeploymentStatus(pool, { id, status: "failed", reason: "deadline exceeded", failedStep: current, from: ACTIVE_STATUSES });
      }
      // "failed": recorded by the catch below, where the step and reason are known.
      return null;
    });

    try {
      const meta = await step("load-metadata", async () => {
        const found = await loadDeployMetadata(pool, id);
        if (!found) throw new TerminalError(`deployment ${id} not found`);
        return found;
      });
      const regions = regionsOf(meta);
      const owner = { workspaceId: meta.workspace.id, projectId: meta.project.id, environmentId: meta.environment.id };
      const namespace = namespaceName(meta.workspace.id);

      const built = await step(
        "build",
        async (signal) => {
          const source = meta.deployment.source;
          let image: string;
          if (source.dockerImage) {
            image = source.dockerImage.image;
          } else {
            await setDeploymentStatus(pool, { id, status: "building", from: ["pending"] });
            const deadline = new Date(Date.now() + settings.buildTimeoutMs);
            const previousBuildId = (await findBuildId(pool, id)) ?? undefined;
            ({ image } = await builder.build(
              {
                deploymentId: id,
                workspaceId: meta.workspace.id,
                workspaceSlug: meta.workspace.slug,
                projectId: meta.project.id,
                projectSlug: meta.project.slug,
                source,
                previousBuildId,
              },
              { signal, deadline, onBuildStarted: (buildId) => recordBuildId(pool, id, buildId) },
            ));
          }
          await recordImage(pool, id, image);
          return { image };
        },
        { timeoutMs: settings.buildTimeoutMs + 30_000, retry: { maxAttempts: 3 } },
      );

      await step("deploying", async () => {
        await setDeploymentStatus(pool, { id, status: "deploying", from: ["pending", "building"] });
        return null;
      });

      await step("create-topologies", async () => {
        await createTopologies(pool, id, meta.environment.regions);
        return regions;
      });

      const sentinels = await step("ensure-sentinels", () =>
        perRegion(regions, async (region): Promise<SentinelRef> => {
          await cluster.ensureNamespace(region, namespace);
          const replicas = meta.environment.production ? settings.sentinel.replicas.production : settings.sentinel.replicas.preview;
          const ref = await cluster.ensureSentinel(region, { ...owner, namespace, image: settings.sentinel.image, port: settings.sentinel.port, replicas });
          await recordSentinel(pool, { id: newId("sentinel"), ...owner, region, namespace: ref.namespace, name: ref.name });
          return ref;
        }),
      );

      await step("ensure-network-policy", () =>
        perRegion(regions, (region) =>
          cluster.ensureNetworkPolicy(region, {
            ...owner,
            deploymentId: id,
            namespace,
            port: settings.appPort,
            sentinel: { namespace: sentinels[region]!.namespace, selector: sentinels[region]!.selector },
          }),
        ),
      );

      // From here on a failure or cancel scales the workloads down (before apply, so a crash
      // in the middle of applying is covered too; scaling what does not exist succeeds) —
      // unless routing already points domains here: a failure after that (say, scheduling the
      // previous deployment's standby) must not take serving pods away.
      ctx.compensate("scale-down", async () => {
        if (await isRouted(pool, id)) return { scaledDown: false };
        await scaleDown(deps, id, "failed");
        return { scaledDown: true };
      });

      const workloads = await step("apply-workloads", () =>
        perRegion(regions, async (region): Promise<WorkloadRef> => {
          const ref = await cluster.applyWorkload(region, {
            ...owner,
            deploymentId: id,
            namespace,
            image: built.image,
            command: meta.deployment.command,
            replicas: meta.environment.regions[region]!,
            port: settings.appPort,
          });
          await setTopology(pool, id, region, "deploying", ref);
          return ref;
        }),
      );

      // The deadline is recorded, so a restart does not grant a fresh 15 minutes.
      const readyDeadline = new Date((await ctx.now()).getTime() + settings.readyTimeoutMs);
      await step(
        "wait-ready",
        async (signal) => {
          const byRegion = await perRegion(regions, async (region) => {
            const ready = await cluster.waitReady(region, workloads[region]!, meta.environment.regions[region]!, { deadline: readyDeadline, signal });
            await setTopology(pool, id, region, "ready");
            return ready;
          });
          const all: InstanceInfo[] = regions.flatMap((r) => byRegion[r]!);
          await replaceInstances(pool, id, all);
          return all.map((i) => ({ id: i.id, address: i.address, region: i.region, status: i.status }));
        },
        { timeoutMs: settings.readyTimeoutMs + 30_000, retry: { maxAttempts: 10 } },
      );

      const plan = await step("build-routes", async () => {
        const routes: Route[] = buildRoutes({
          projectSlug: meta.project.slug,
          workspaceSlug: meta.workspace.slug,
          environmentSlug: meta.environment.slug,
          production: meta.environment.production,
          branch: meta.deployment.branch,
          commitSha: meta.deployment.commitSha,
          deploymentId: id,
          apex: settings.apex,
        });
        const gatewayConfig = gatewayConfigFor({ deploymentId: id, ...owner, port: settings.appPort, sentinels });
        return { routes, gatewayConfig };
      });

      const assigned = await step("assign-routes", async (signal) => {
        const routing = await setDeploymentStatus(pool, { id, status: "network", from: ["deploying"], unlessCancelRequested: true });
        if (!routing) {
          const row = await findDeployment(pool, id);
          if (row?.status !== "network") {
            // A cancel won the row before routing began: make sure the run is cancelled too
            // (the canceller may have died between the two), then stop here without routing.
            await deps.engine.cancel(ctx.runId, row?.cancel_reason ?? "cancelled");
            throw new Error(`deployment ${id} was cancelled before routing`);
          }
        }
        // Whether the project is rolled back, and whether this deployment is still the newest,
        // are decided by routing on the locked project row: a flag read here could be stale.
        const response = await router.assignDomains(
          {
            ...owner,
            deploymentId: id,
            domains: plan.routes.map((r) => ({ name: r.name, sticky: ROUTE_STICKY_PROTO[r.sticky] })),
            gatewayConfig: plan.gatewayConfig,
            isRolledBack: false,
            idempotencyKey: `assign:${id}`,
            setLive: meta.environment.production,
          },
          { signal },
        );
        return {
          changed: response.changedDomainNames,
          generation: response.routingGeneration.toString(),
          previousLive: response.previousLiveDeploymentId,
        };
      }, {
        // routing-svc being restarted or briefly away is the transient failure to ride out (the
        // call is idempotent by its key): minutes, not the default few seconds, before pausing.
        retry: { maxAttempts: 20, initialMs: 250, maxMs: 15_000 },
      });

      await step("ready", async () => {
        await setDeploymentStatus(pool, { id, status: "ready", from: ["network"] });
        return null;
      });

      // The live pointer moved (or not) inside the routing transaction of assign-routes, with
      // the LIVE domain: that transaction's answer, not the pointer now (a newer deploy may
      // have taken it since), says whether this deployment replaced the previous live one.
      const live = await step("update-live", async () => {
        const liveDomain = plan.routes.find((r) => r.sticky === "live")?.name;
        const tookLive = liveDomain !== undefined && assigned.changed.includes(liveDomain);
        return { isLive: tookLive, previousLive: tookLive && assigned.previousLive && assigned.previousLive !== id ? assigned.previousLive : null };
      });

      const standby = await step("schedule-standby", async () => {
        if (!live.isLive) return { runId: null };
        await cancelStandby(deps, id);
        if (!live.previousLive) return { runId: null };
        return { runId: await scheduleStandby(deps, live.previousLive, id, ctx.runId) };
      });

      return {
        deploymentId: id,
        live: live.isLive,
        routingGeneration: assigned.generation,
        changedDomains: assigned.changed,
        standbyRunId: standby.runId,
      };
    } catch (error) {
      if (error instanceof TerminalError) {
        await setDeploymentStatus(pool, { id, status: "failed", reason: failureReason(error), failedStep: current, from: ACTIVE_STATUSES });
      }
      throw error;
    }
  });
}
