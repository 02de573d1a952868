/**
 * The kubernetes driver under the API server's failure modes: a real kube-apiserver (the
 * clusters `pnpm test:kube` starts) behind a fault-injecting proxy (fault-proxy.ts). Transient
 * vs terminal classification of responses, retries inside waitReady, 410 relists, timeouts,
 * aborts, cut watches resumed, the socket pool under many watches, and the NotFound/Forbidden fallbacks.
 *
 * Pods that must not become ready ask for more CPU than any node has (Unschedulable): the
 * scheduler and kwok decide, no kubelet is told anything.
 */
import { randomBytes } from "node:crypto";
import { setMaxListeners } from "node:events";
import { readFileSync } from "node:fs";
import { ClusterError, type DriverEvent, type WorkloadSpec, workloadName } from "@hydra/cluster";
import { KubernetesDriver } from "@hydra/cluster/kubernetes";
import { fakeId } from "../cluster-contract/targets";
import { driverRejection, kubeRequest, readState } from "./control";
import { FaultProxy, proxyKubeconfig } from "./fault-proxy";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(condition: () => boolean | Promise<boolean>, withinMs = 10_000): Promise<void> {
  const end = Date.now() + withinMs;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await sleep(20);
  }
}

const state = readState();
const REGION = Object.keys(state.regions).sort()[0]!;
/** More CPU than any node has: the scheduler leaves the pods Pending (Unschedulable). */
const UNSCHEDULABLE: Partial<WorkloadSpec> = { resources: { cpu: "512", memory: "64Mi" } };
const run = randomBytes(3).toString("hex");

describe("kubernetes driver against a real API server's failure modes (through the fault proxy)", () => {
  let proxy: FaultProxy;
  let kubeconfig: ReturnType<typeof proxyKubeconfig>;
  let driver: KubernetesDriver;
  const events: DriverEvent[] = [];
  const namespaces: string[] = [];

  beforeAll(async () => {
    // As the admin: the test reads namespaces back (the 403 fallback), which hydra's role does not grant.
    proxy = await FaultProxy.start({
      server: state.regions[REGION]!.server,
      ca: readFileSync(state.pki.ca),
      cert: readFileSync(state.pki.adminCert),
      key: readFileSync(state.pki.adminKey),
    });
    kubeconfig = proxyKubeconfig({ [REGION]: proxy });
    driver = new KubernetesDriver({
      kind: "kubernetes",
      clusters: kubeconfig.clusters,
      // No Cilium agent: don't wait for a verdict that never comes.
      policyVerdictWaitMs: 0,
      onEvent: (e) => events.push(e),
    });
  }, 60_000);

  afterAll(async () => {
    await driver?.close();
    await proxy?.close();
    kubeconfig?.remove();
    await Promise.all(
      namespaces.map((ns) => kubeRequest(state, REGION, "DELETE", `/api/v1/namespaces/${ns}`).catch(() => undefined)),
    );
  });

  afterEach(() => proxy.clearFaults());

  async function spec(extra: Partial<WorkloadSpec> = {}): Promise<WorkloadSpec> {
    const namespace = `faults-${run}-${namespaces.length + 1}`;
    namespaces.push(namespace);
    await driver.ensureNamespace(REGION, namespace);
    return {
      workspaceId: fakeId("ws"),
      projectId: fakeId("prj"),
      environmentId: fakeId("env"),
      deploymentId: fakeId("dep"),
      namespace,
      image: "nginx:1.27",
      replicas: 1,
      resources: { cpu: "50m", memory: "64Mi" },
      ...extra,
    };
  }

  it.each([
    [503, undefined, { code: "unavailable", kind: "service_unavailable", transient: true }],
    [500, undefined, { code: "internal", kind: "internal_error", transient: true }],
    [429, 3, { code: "resource_exhausted", kind: "too_many_requests", transient: true, retryAfterMs: 3_000 }],
    [409, undefined, { code: "aborted", kind: "conflict", transient: true }],
    [403, undefined, { code: "permission_denied", kind: "forbidden", transient: false }],
    [400, undefined, { code: "invalid_argument", kind: "bad_request", transient: false }],
  ] as const)("classifies an HTTP %i from the server", async (status, retryAfterSeconds, expected) => {
    const s = await spec();
    proxy.injectFault({ status, retryAfterSeconds, path: "/deployments/" });
    const error = await driverRejection(driver.applyWorkload(REGION, s));
    expect(error).toBeInstanceOf(ClusterError);
    expect(error).toMatchObject({ ...expected, status, region: REGION });
    expect(error.message).toContain(`apply Deployment ${s.namespace}/${workloadName(s.deploymentId)}`);
  });

  it("treats the server's answer to an undeclared field in an apply as terminal, naming the field", async () => {
    const s = await spec();
    const error = await driverRejection(
      driver.client(REGION).request("PATCH", `/api/v1/namespaces/${s.namespace}/services/x`, {
        query: { fieldManager: "hydra", force: true },
        contentType: "application/apply-patch+yaml",
        body: {
          apiVersion: "v1",
          kind: "Service",
          metadata: { name: "x" },
          spec: { ports: [{ port: 80, protocol: "TCP" }], clusterIPP: "x" },
        },
      }),
    );
    expect(error).toMatchObject({ kind: "invalid", transient: false });
    expect(error.message).toContain(".spec.clusterIPP: field not declared in schema");
  });

  it("times out a request that gets no answer (transient)", async () => {
    const s = await spec();
    // Its own driver with a short request timeout: the real server may take longer than that on loaded cores.
    const impatient = new KubernetesDriver({
      kind: "kubernetes",
      clusters: kubeconfig.clusters,
      requestTimeoutMs: 1_000,
    });
    try {
      proxy.injectFault({ delayMs: 2_500, path: "/deployments/" });
      const error = await driverRejection(impatient.applyWorkload(REGION, s));
      expect(error).toMatchObject({ code: "deadline_exceeded", kind: "timeout", transient: true });
    } finally {
      await impatient.close();
    }
  });

  it("reports a cluster without Cilium's CRD as terminal NotServed", async () => {
    const s = await spec();
    proxy.injectFault({ status: 404, body: "404 page not found\n", path: "/ciliumnetworkpolicies/" });
    const error = await driverRejection(
      driver.ensureNetworkPolicy(REGION, {
        ...s,
        port: 8080,
        sentinel: { namespace: s.namespace, selector: { a: "b" } },
      }),
    );
    expect(error).toMatchObject({ code: "failed_precondition", kind: "not_served", transient: false });
    expect(error.message).toContain("cilium.io/v2");
  });

  it("accepts an existing namespace it may not write (403 on apply)", async () => {
    const s = await spec();
    proxy.injectFault({ status: 403, path: `/namespaces/${s.namespace}`, method: "PATCH" });
    await expect(driver.ensureNamespace(REGION, s.namespace)).resolves.toBeUndefined();
    const missing = `faults-${run}-not-there`;
    proxy.injectFault({ status: 403, path: `/namespaces/${missing}`, method: "PATCH" });
    await expect(driver.ensureNamespace(REGION, missing)).rejects.toMatchObject({
      code: "permission_denied",
      kind: "forbidden",
      transient: false,
    });
  });

  it("retries transient failures while waiting for readiness", async () => {
    const s = await spec();
    const ref = await driver.applyWorkload(REGION, s);
    proxy.injectFault({ status: 503, count: 2, path: "/pods" });
    const mark = events.length;
    await expect(driver.waitReady(REGION, ref, 1, { deadline: new Date(Date.now() + 60_000) })).resolves.toHaveLength(
      1,
    );
    expect(events.slice(mark).filter((e) => e.type === "retry")).toHaveLength(2);
  });

  it("lists again when its resourceVersion has expired (410)", async () => {
    const s = await spec(UNSCHEDULABLE);
    const ref = await driver.applyWorkload(REGION, s);
    const mark = events.length;
    const waiting = driver.waitReady(REGION, ref, 1, { deadline: new Date(Date.now() + 90_000) });
    // Both of the wait's watches (its Deployment and its pods) are open on the server before they drop.
    await until(() => proxy.openWatches() >= 2);
    // The connection drops; the pods watch resumes from a resourceVersion the server answers 410 Expired.
    proxy.injectFault({ status: 410, path: "/pods", watch: true });
    expect(proxy.dropWatches()).toBeGreaterThanOrEqual(2);
    await until(() => events.slice(mark).some((e) => e.type === "relist"));
    // A template that fits: the rollout completes on the relisted, then watched, pods.
    await driver.applyWorkload(REGION, { ...s, resources: { cpu: "50m", memory: "64Mi" } });
    expect((await waiting).length).toBeGreaterThanOrEqual(1);
    const starts = events.slice(mark).flatMap((e) => (e.type === "watch-start" ? [e.reason] : []));
    expect(starts).toEqual(expect.arrayContaining(["initial", "resume", "relist"]));
  });

  it("resumes a cut watch from where it stopped, without listing again; events missed meanwhile are replayed", async () => {
    const s = await spec(UNSCHEDULABLE);
    const ref = await driver.applyWorkload(REGION, s);
    const podsPath = `/api/v1/namespaces/${s.namespace}/pods`;
    const onPods = (e: DriverEvent) => e.region === REGION && "path" in e && e.path === podsPath;
    const mark = events.length;
    const waiting = driver.waitReady(REGION, ref, 1, { deadline: new Date(Date.now() + 90_000) });
    await until(() => proxy.openWatches() >= 2);
    expect(events.slice(mark).find((e) => e.type === "watch-start" && onPods(e))).toMatchObject({ reason: "initial" });
    const cutAt = proxy.requests().at(-1)!.seq;
    // The resumed watch reaches the API server late: what happens meanwhile must come from the server's history.
    proxy.injectFault({ delayMs: 2_000, path: podsPath, watch: true });
    expect(proxy.dropWatches()).toBeGreaterThanOrEqual(2);
    // A template that fits, applied while the pods are unwatched: its pods become ready during the gap.
    await driver.applyWorkload(REGION, { ...s, resources: { cpu: "50m", memory: "64Mi" } });
    expect((await waiting).length).toBeGreaterThanOrEqual(1);

    const seen = events.slice(mark).filter(onPods);
    const ended = seen.find((e) => e.type === "watch-end");
    const resumed = seen.find((e) => e.type === "watch-start" && e.reason === "resume");
    if (ended?.type !== "watch-end" || resumed?.type !== "watch-start") throw new Error(JSON.stringify(seen));
    expect(ended.error).toBeDefined(); // cut, not ended by the server
    expect(resumed.resourceVersion).toBe(ended.resourceVersion);
    expect(seen.filter((e) => e.type === "relist")).toEqual([]);
    // On the wire: the pods were watched again from that resourceVersion, and never listed again.
    const after = proxy.requests(cutAt).filter((r) => r.path === podsPath);
    expect(after[0]).toMatchObject({
      method: "GET",
      query: expect.objectContaining({ watch: "true", resourceVersion: resumed.resourceVersion }),
    });
    expect(after.filter((r) => r.query.watch !== "true")).toEqual([]);
  });

  it("keeps sockets for requests while many waits hold watches open (40 waits: 80 watches)", async () => {
    const ref = await driver.applyWorkload(REGION, await spec(UNSCHEDULABLE));
    const controller = new AbortController();
    setMaxListeners(40, controller.signal); // one signal stops all 40 waits
    const mark = events.length;
    const waits = Array.from({ length: 40 }, () =>
      driver
        .waitReady(REGION, ref, 1, { deadline: new Date(Date.now() + 120_000), signal: controller.signal })
        .catch(() => undefined),
    );
    try {
      await until(() => events.slice(mark).filter((e) => e.type === "watch-start").length >= 80, 30_000);
      await until(() => proxy.openWatches() >= 80, 30_000);
      // On one pool of 64 sockets this apply would queue behind the watches until they end.
      await expect(driver.applyWorkload(REGION, await spec())).resolves.toHaveProperty("resourceVersion.deployment");
    } finally {
      controller.abort(new Error("test done"));
      await Promise.all(waits);
    }
  });

  it("stops waiting when the caller aborts (transient Aborted)", async () => {
    const ref = await driver.applyWorkload(REGION, await spec(UNSCHEDULABLE));
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("shutting down")), 300);
    const error = await driverRejection(
      driver.waitReady(REGION, ref, 1, { deadline: new Date(Date.now() + 10_000), signal: controller.signal }),
    );
    expect(error).toMatchObject({ code: "canceled", kind: "aborted", transient: true, region: REGION });
    expect(error.message).toContain("shutting down");
  });

  it("reports why instances are not ready at the deadline, in the scheduler's words", async () => {
    const ref = await driver.applyWorkload(REGION, await spec({ ...UNSCHEDULABLE, replicas: 2 }));
    const error = await driverRejection(driver.waitReady(REGION, ref, 2, { deadline: new Date(Date.now() + 15_000) }));
    expect(error).toMatchObject({ kind: "deadline_exceeded", transient: false, ready: 0, required: 2 });
    expect(error.message).toMatch(
      new RegExp(
        `region ${REGION}: 0 of 2 required instances ready at the deadline .*; not ready: 2 × Unschedulable \\(0/\\d+ nodes are available: .*Insufficient cpu`,
      ),
    );
  });
});
