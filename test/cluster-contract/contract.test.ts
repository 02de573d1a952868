/**
 * The cluster driver contract, end to end through the driver: against the simulated driver
 * always, and against a real cluster when HYDRA_CLUSTERS or KUBECONFIG is set (`pnpm test:kube`
 * runs it against its clusters; see targets.ts).
 */
import {
  ClusterDeadlineError,
  ClusterError,
  type InstanceInfo,
  LABEL,
  type NetworkPolicySpec,
  type SentinelSpec,
  type WorkloadRef,
  type WorkloadSpec,
  parseClusters,
  sentinelName,
  sentinelRef,
  workloadName,
  workloadRef,
} from "@hydra/cluster";
import { KubernetesDriver } from "@hydra/cluster/kubernetes";
import { type Target, fakeId, targets } from "./targets";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Ids {
  workspaceId: string;
  projectId: string;
  environmentId: string;
  deploymentId: string;
}

function newIds(): Ids {
  return {
    workspaceId: fakeId("ws"),
    projectId: fakeId("prj"),
    environmentId: fakeId("env"),
    deploymentId: fakeId("dep"),
  };
}

function workloadSpec(t: Target, ids: Ids, namespace: string, extra: Partial<WorkloadSpec> = {}): WorkloadSpec {
  return {
    ...ids,
    namespace,
    image: t.image,
    ...(t.command ? { command: t.command } : {}),
    replicas: 2,
    port: 8080,
    resources: { cpu: "50m", memory: "64Mi" },
    ...extra,
  };
}

function sentinelSpec(t: Target, ids: Ids, namespace: string): SentinelSpec {
  const { deploymentId: _d, ...owner } = ids;
  return {
    ...owner,
    namespace,
    image: t.image,
    ...(t.command ? { command: t.command } : {}),
    replicas: 1,
    port: 8080,
    resources: { cpu: "50m", memory: "64Mi" },
  };
}

/** Polls `fn` until it returns a value that is not undefined. */
async function eventually<T>(what: string, fn: () => Promise<T | undefined>, withinMs: number): Promise<T> {
  const until = Date.now() + withinMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe.each(targets().map((f) => [f.name, f] as const))("cluster driver contract: %s", (_name, factory) => {
  let t: Target;
  const deadline = (ms = t.readyWithinMs) => ({ deadline: new Date(Date.now() + ms) });

  beforeAll(async () => {
    t = await factory.create();
  }, 120_000);

  afterAll(async () => {
    await t?.close();
  }, 120_000);

  async function deploy(
    region: string,
    namespace: string,
    ids: Ids,
    extra: Partial<WorkloadSpec> = {},
  ): Promise<WorkloadRef> {
    await t.driver.ensureNamespace(region, namespace);
    return t.driver.applyWorkload(region, workloadSpec(t, ids, namespace, extra));
  }

  it(
    "applies twice without a write: the same resourceVersion",
    async () => {
      const [region] = t.regions;
      const [ns] = t.namespaces();
      const ids = newIds();
      await t.driver.ensureNamespace(region, ns);
      await t.driver.ensureNamespace(region, ns);
      const sentinel = await t.driver.ensureSentinel(region, sentinelSpec(t, ids, ns));
      const policySpec: NetworkPolicySpec = { ...ids, namespace: ns, port: 8080, sentinel };
      const policy = await t.driver.ensureNetworkPolicy(region, policySpec);
      const ref = await t.driver.applyWorkload(region, workloadSpec(t, ids, ns));
      // Controllers write the Deployment's status until its pods are ready; wait for quiet.
      await t.driver.waitReady(region, ref, 2, deadline());
      await eventually(
        "the Deployment's status to settle",
        async () => {
          const d = (await t.get(region, "Deployment", ns, ref.name))!;
          // (the simulated driver keeps no status: nothing to settle)
          const settled =
            !d.object.status ||
            (d.object.status.readyReplicas === 2 &&
              d.object.status.observedGeneration === d.object.metadata.generation);
          return settled ? d : undefined;
        },
        t.readyWithinMs,
      );
      await sleep(200);

      // A controller may still write the Deployment's status between our read and our apply: a
      // written apply would change the resourceVersion every time, a no-op never does.
      let again = ref;
      let deploymentUnchanged = false;
      let attempts = 0;
      for (; attempts < 3 && !deploymentUnchanged; attempts++) {
        const before = (await t.get(region, "Deployment", ns, ref.name))!.resourceVersion;
        again = await t.driver.applyWorkload(region, workloadSpec(t, ids, ns));
        deploymentUnchanged = again.resourceVersion.deployment === before;
      }
      expect(deploymentUnchanged).toBe(true);
      if (t.name !== "real cluster") expect(attempts).toBe(1); // nothing else writes here once pods are ready
      expect((await t.get(region, "Deployment", ns, ref.name))!.object.metadata.generation ?? 1).toBe(1);

      const before = {
        service: (await t.get(region, "Service", ns, ref.service))!.resourceVersion,
        policy: (await t.get(region, "CiliumNetworkPolicy", ns, policy.name))!.object.metadata,
        sentinelService: (await t.get(region, "Service", ns, sentinel.name))!.resourceVersion,
      };
      const policyAgain = await t.driver.ensureNetworkPolicy(region, policySpec);
      const sentinelAgain = await t.driver.ensureSentinel(region, sentinelSpec(t, ids, ns));

      expect(again.resourceVersion.service).toBe(before.service);
      expect(again.resourceVersion.service).toBe(ref.resourceVersion.service);
      // Cilium writes its verdict (and per-node status) into a policy's status whenever it likes, so
      // its resourceVersion may move; an unchanged apply leaves its generation (spec) alone.
      const policyAfter = (await t.get(region, "CiliumNetworkPolicy", ns, policy.name))!.object.metadata;
      expect(policyAfter.generation ?? 1).toBe(before.policy.generation ?? 1);
      expect(policyAfter.generation ?? 1).toBe(1);
      expect(policyAgain.name).toBe(policy.name);
      expect(sentinelAgain.resourceVersion.service).toBe(before.sentinelService);
      expect(sentinelAgain.resourceVersion.service).toBe(sentinel.resourceVersion.service);
      const { resourceVersion: _a, ...sameRef } = again;
      const { resourceVersion: _b, ...firstRef } = ref;
      expect(sameRef).toEqual(firstRef);
      expect(sameRef).toEqual(workloadRef(workloadSpec(t, ids, ns))); // computable without the cluster
    },
    factory.timeoutMs,
  );

  it(
    "writes the objects an operator expects: ids as labels, selectors, probe, requests = limits, PORT, policy shape",
    async () => {
      const [region] = t.regions;
      const [ns] = t.namespaces();
      const ids = newIds();
      await t.driver.ensureNamespace(region, ns);
      const sentinel = await t.driver.ensureSentinel(region, sentinelSpec(t, ids, ns));
      await t.driver.ensureNetworkPolicy(region, { ...ids, namespace: ns, port: 8080, sentinel });
      const ref = await t.driver.applyWorkload(region, workloadSpec(t, ids, ns));
      expect(ref).toMatchObject({
        name: workloadName(ids.deploymentId),
        namespace: ns,
        port: 8080,
        selector: { [LABEL.deploymentId]: ids.deploymentId },
      });

      const deployment = (await t.get(region, "Deployment", ns, ref.name))!.object;
      const labels = {
        [LABEL.managedBy]: "hydra",
        [LABEL.component]: "workload",
        [LABEL.workspaceId]: ids.workspaceId,
        [LABEL.projectId]: ids.projectId,
        [LABEL.environmentId]: ids.environmentId,
        [LABEL.deploymentId]: ids.deploymentId,
      };
      expect(deployment.metadata.labels).toMatchObject(labels);
      expect(deployment.spec.selector).toEqual({ matchLabels: { [LABEL.deploymentId]: ids.deploymentId } });
      expect(deployment.spec.replicas).toBe(2);
      const pod = deployment.spec.template;
      expect(pod.metadata.labels).toMatchObject(labels);
      expect(pod.spec.automountServiceAccountToken).toBe(false);
      const [container] = pod.spec.containers;
      expect(container.image).toBe(t.image);
      if (t.command) expect(container.command).toEqual(t.command);
      expect(container.ports).toEqual([{ name: "http", containerPort: 8080, protocol: "TCP" }]);
      expect(container.env).toEqual(
        expect.arrayContaining([
          { name: "PORT", value: "8080" },
          { name: "HYDRA_DEPLOYMENT_ID", value: ids.deploymentId },
        ]),
      );
      expect(container.resources).toEqual({
        requests: { cpu: "50m", memory: "64Mi" },
        limits: { cpu: "50m", memory: "64Mi" },
      });
      expect(container.readinessProbe).toMatchObject({
        tcpSocket: { port: "http" },
        periodSeconds: 2,
        failureThreshold: 3,
      });

      const service = (await t.get(region, "Service", ns, ref.service))!.object;
      expect(service.spec).toMatchObject({
        type: "ClusterIP",
        selector: ref.selector,
        ports: [{ name: "http", port: 80, targetPort: "http", protocol: "TCP" }],
      });

      const sentinelDeployment = (await t.get(region, "Deployment", ns, sentinelName(ids.environmentId)))!.object;
      expect(sentinelDeployment.spec.selector.matchLabels).toEqual(sentinel.selector);
      expect(sentinelDeployment.spec.template.metadata.labels).toMatchObject(sentinel.selector);

      const policy = (await t.get(region, "CiliumNetworkPolicy", ns, ref.name))!.object;
      expect(policy.spec.endpointSelector).toEqual({ matchLabels: ref.selector });
      expect(policy.spec.ingress).toEqual([
        {
          fromEndpoints: [{ matchLabels: { ...sentinel.selector, "k8s:io.kubernetes.pod.namespace": ns } }],
          toPorts: [{ ports: [{ port: "8080", protocol: "TCP" }] }],
        },
      ]);
    },
    factory.timeoutMs,
  );

  it(
    "waits for readiness in two regions in parallel",
    async () => {
      const namespaces = t.namespaces();
      const ids = newIds();
      const refs = await Promise.all(t.regions.map((region, i) => deploy(region, namespaces[i]!, ids)));
      const results = await Promise.all(
        t.regions.map((region, i) => t.driver.waitReady(region, refs[i]!, 2, deadline())),
      );
      results.forEach((instances: InstanceInfo[], i) => {
        const region = t.regions[i]!;
        expect(instances).toHaveLength(2);
        for (const instance of instances) {
          expect(instance).toMatchObject({ region, status: "ready" });
          expect(instance.id.startsWith(`${region}/${refs[i]!.name}-`)).toBe(true);
          expect(instance.address).toMatch(/^(\d+\.\d+\.\d+\.\d+|\[[0-9a-f:]+\]):8080$/);
        }
      });
      const ids2 = results.flat().map((x) => x.id);
      expect(new Set(ids2).size).toBe(ids2.length);
    },
    factory.timeoutMs,
  );

  it(
    "rejects with a deadline error naming the region and counts when one region never becomes ready",
    async () => {
      const [good, bad] = t.regions;
      const [nsGood, nsBad] = t.namespaces();
      const ids = newIds();
      const override = await t.neverReady(bad);
      try {
        const [refGood, refBad] = await Promise.all([deploy(good, nsGood, ids), deploy(bad, nsBad, ids, override)]);
        const waitMs = t.name === "simulated" ? 1_500 : 30_000;
        const results = await Promise.allSettled([
          t.driver.waitReady(good, refGood, 2, { deadline: new Date(Date.now() + t.readyWithinMs) }),
          t.driver.waitReady(bad, refBad, 2, { deadline: new Date(Date.now() + waitMs) }),
        ]);
        expect(results[0].status).toBe("fulfilled");
        expect(results[1].status).toBe("rejected");
        const error = (results[1] as PromiseRejectedResult).reason as ClusterDeadlineError;
        expect(error).toBeInstanceOf(ClusterDeadlineError);
        expect(error).toBeInstanceOf(ClusterError);
        expect(error).toMatchObject({
          code: "deadline_exceeded",
          kind: "deadline_exceeded",
          transient: false,
          region: bad,
          ready: 0,
          required: 2,
        });
        expect(error.message).toContain(`region ${bad}`);
        expect(error.message).toContain("0 of 2");
        expect(error.problems.join(" ")).toMatch(/Unschedulable/);
      } finally {
        await t.healthy(bad);
      }
    },
    factory.timeoutMs,
  );

  it(
    "awaits the sentinel: resolves once its pods are ready, names it at the deadline when they never are, NotFound when gone",
    async () => {
      const [good, bad] = t.regions;
      const [nsGood, nsBad] = t.namespaces();
      const ids = newIds();
      await t.driver.ensureNamespace(good, nsGood);
      const ready = await t.driver.ensureSentinel(good, sentinelSpec(t, ids, nsGood));
      await expect(t.driver.waitSentinel(good, ready, 1, deadline())).resolves.toBeUndefined();

      const override = await t.neverReady(bad);
      try {
        await t.driver.ensureNamespace(bad, nsBad);
        const stuck = await t.driver.ensureSentinel(bad, {
          ...sentinelSpec(t, ids, nsBad),
          ...(override.resources ? { resources: override.resources } : {}),
        });
        const waitMs = t.name === "simulated" ? 1_500 : 10_000;
        const error = await t.driver.waitSentinel(bad, stuck, 1, deadline(waitMs)).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(ClusterDeadlineError);
        expect(error).toMatchObject({
          code: "deadline_exceeded",
          kind: "deadline_exceeded",
          transient: false,
          region: bad,
          ready: 0,
          required: 1,
        });
        const message = (error as ClusterDeadlineError).message;
        expect(message).toContain(`sentinel ${nsBad}/${sentinelName(ids.environmentId)}`);
        expect((error as ClusterDeadlineError).problems.join(" ")).toMatch(/Unschedulable/);
      } finally {
        await t.healthy(bad);
      }

      const gone = { ...sentinelRef({ environmentId: fakeId("env"), namespace: nsGood, port: 8080 }) };
      const missing = await t.driver
        .waitSentinel(good, { ...gone, resourceVersion: { deployment: "", service: "" } }, 1, deadline(2_000))
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(missing).toMatchObject({ code: "not_found", kind: "not_found", transient: false });
      expect((missing as Error).message).toContain(`sentinel ${nsGood}/${gone.name}`);
    },
    factory.timeoutMs,
  );

  it(
    "follows the rollout: after a template change the old template's ready pods do not count",
    async () => {
      if (t.name === "simulated") return; // no ReplicaSets, no rollouts in memory
      const [region] = t.regions;
      const [ns] = t.namespaces();
      const ids = newIds();
      const ref = await deploy(region, ns, ids);
      expect(await t.driver.waitReady(region, ref, 2, deadline())).toHaveLength(2);
      // A hydra upgrade (or a replay) re-applies a changed template whose pods never become ready:
      // the two old pods stay ready while the rollout is stuck.
      const override = await t.neverReady(region);
      try {
        await t.driver.applyWorkload(region, workloadSpec(t, ids, ns, { ...override, env: { TEMPLATE: "2" } }));
        const error = await t.driver.waitReady(region, ref, 2, deadline(10_000)).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(ClusterDeadlineError);
        expect((error as ClusterDeadlineError).message).toMatch(/rollout waiting for|Unschedulable/);
      } finally {
        await t.healthy(region);
      }
    },
    factory.timeoutMs,
  );

  it(
    "scales to 0 (standby) and back (wake)",
    async () => {
      const [region] = t.regions;
      const [ns] = t.namespaces();
      const ids = newIds();
      const ref = await deploy(region, ns, ids);
      const first = await t.driver.waitReady(region, ref, 2, deadline());
      expect(first).toHaveLength(2);

      await t.driver.scale(region, ref, 0);
      await t.driver.scale(region, ref, 0);
      expect((await t.get(region, "Deployment", ns, ref.name))!.object.spec.replicas).toBe(0);
      await eventually(
        "no ready instances",
        async () => ((await t.driver.waitReady(region, ref, 0, deadline())).length === 0 ? true : undefined),
        t.readyWithinMs,
      );

      await t.driver.scale(region, ref, 2);
      const woken = await t.driver.waitReady(region, ref, 2, deadline());
      expect(woken).toHaveLength(2);
      expect((await t.get(region, "Deployment", ns, ref.name))!.object.spec.replicas).toBe(2);
      for (const instance of woken) expect(first.map((f) => f.id)).not.toContain(instance.id);

      // Standby of a workload that is gone (or was never applied) is done; waking it is an error.
      const missing = workloadRef({ deploymentId: fakeId("dep"), environmentId: fakeId("env"), namespace: ns });
      await expect(t.driver.scale(region, missing, 0)).resolves.toBeUndefined();
      await expect(t.driver.scale(region, missing, 1)).rejects.toMatchObject({
        code: "not_found",
        kind: "not_found",
        transient: false,
      });
    },
    factory.timeoutMs,
  );

  it(
    "deletes twice: the second delete finds nothing and succeeds",
    async () => {
      const [region] = t.regions;
      const [ns] = t.namespaces();
      const ids = newIds();
      await t.driver.ensureNamespace(region, ns);
      const sentinel = await t.driver.ensureSentinel(region, sentinelSpec(t, ids, ns));
      await t.driver.ensureNetworkPolicy(region, { ...ids, namespace: ns, port: 8080, sentinel });
      const ref = await t.driver.applyWorkload(region, workloadSpec(t, ids, ns));
      await t.driver.deleteWorkload(region, ref);
      await t.driver.deleteWorkload(region, ref);
      expect(await t.get(region, "Deployment", ns, ref.name)).toBeUndefined();
      expect(await t.get(region, "Service", ns, ref.service)).toBeUndefined();
      expect(await t.get(region, "CiliumNetworkPolicy", ns, ref.name)).toBeUndefined();
      expect(await t.get(region, "Deployment", ns, sentinel.name)).toBeDefined();
      await expect(t.driver.waitReady(region, ref, 1, deadline(2_000))).rejects.toMatchObject({
        code: "not_found",
        kind: "not_found",
        transient: false,
      });
    },
    factory.timeoutMs,
  );

  it(
    "surfaces a 422 from the server as a terminal ClusterError naming the field",
    async () => {
      const [region] = t.regions;
      const [ns] = t.namespaces();
      const ids = newIds();
      const error = await deploy(region, ns, ids, { port: 70000 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ClusterError);
      expect(error).toMatchObject({
        code: "invalid_argument",
        kind: "invalid",
        transient: false,
        status: 422,
        reason: "Invalid",
        region,
      });
      const e = error as ClusterError;
      expect(e.field).toBe("spec.template.spec.containers[0].ports[0].containerPort");
      expect(e.message).toContain(e.field!);
      expect(e.message).toContain("70000");
      expect(await t.get(region, "Deployment", ns, workloadName(ids.deploymentId))).toBeUndefined();
    },
    factory.timeoutMs,
  );

  it(
    "rejects unknown regions as terminal errors",
    async () => {
      await expect(t.driver.ensureNamespace("atlantis", "x")).rejects.toMatchObject({
        code: "failed_precondition",
        kind: "unknown_region",
        transient: false,
      });
    },
    factory.timeoutMs,
  );

  it(
    "resumes a watch the server ended from the last resourceVersion it saw",
    async () => {
      if (t.name === "simulated") return; // no watches in memory
      const [region] = t.regions;
      const [ns] = t.namespaces();
      const ids = newIds();

      // The API server ends watches after timeoutSeconds; a cut connection is faults.test.ts's (the fault proxy).
      const clusters = process.env.HYDRA_CLUSTERS ? parseClusters(process.env.HYDRA_CLUSTERS) : { [region]: {} };
      const events: typeof t.events = [];
      const driver = new KubernetesDriver({
        kind: "kubernetes",
        clusters: { [region]: clusters[region] ?? {} },
        watchTimeoutSeconds: 2,
        onEvent: (e) => events.push(e),
      });
      try {
        const ref = await deploy(region, ns, ids, await t.neverReady(region));
        await expect(
          driver.waitReady(region, ref, 2, { deadline: new Date(Date.now() + 7_000) }),
        ).rejects.toBeInstanceOf(ClusterDeadlineError);
        const podsPath = `/api/v1/namespaces/${ns}/pods`;
        const ends = events.flatMap((e) => (e.type === "watch-end" && e.path === podsPath ? [e.resourceVersion] : []));
        const resumes = events.flatMap((e) =>
          e.type === "watch-start" && e.path === podsPath && e.reason === "resume" ? [e.resourceVersion] : [],
        );
        expect(resumes.length).toBeGreaterThanOrEqual(1);
        // Each resumed watch starts where the previous one ended.
        resumes.forEach((rv, i) => expect(rv).toBe(ends[i]));
      } finally {
        await t.healthy(region);
        await driver.close();
      }
    },
    factory.timeoutMs,
  );
});
