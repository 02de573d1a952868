/**
 * The kubernetes driver under the API server's failure modes, injected into the stand-in:
 * transient vs terminal classification of real responses, retries inside waitReady, 410
 * relists, timeouts, aborts, and the NotFound/Forbidden fallbacks.
 */
import { ClusterError, type DriverEvent, type WorkloadSpec, parseClusters, workloadName } from "@hydra/cluster";
import { KubernetesDriver } from "@hydra/cluster/kubernetes";
import { type StandIn, startStandIn } from "../k8s";
import { fakeId } from "./targets";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(condition: () => boolean | Promise<boolean>, withinMs = 5_000): Promise<void> {
  const end = Date.now() + withinMs;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await sleep(20);
  }
}
const REGION = "local";

describe("kubernetes driver against the stand-in's failure modes", () => {
  let standIn: StandIn;
  let driver: KubernetesDriver;
  const events: DriverEvent[] = [];
  let n = 0;

  beforeAll(async () => {
    standIn = await startStandIn({ regions: [REGION], readyDelayMs: 100, bookmarkIntervalMs: 500 });
    driver = new KubernetesDriver({
      kind: "kubernetes",
      clusters: parseClusters(standIn.clustersPath),
      requestTimeoutMs: 1_000,
      onEvent: (e) => events.push(e),
    });
  }, 60_000);

  afterAll(async () => {
    await driver?.close();
    await standIn?.stop();
  });

  afterEach(async () => {
    await standIn.clearFaults(REGION);
    await standIn.setKubelet(REGION, { mode: "ready" });
  });

  async function spec(extra: Partial<WorkloadSpec> = {}): Promise<WorkloadSpec> {
    const namespace = `faults-${++n}`;
    await driver.ensureNamespace(REGION, namespace);
    return {
      workspaceId: fakeId("ws"),
      projectId: fakeId("prj"),
      environmentId: fakeId("env"),
      deploymentId: fakeId("dep"),
      namespace,
      image: "nginx:1.27",
      replicas: 1,
      ...extra,
    };
  }

  const failure = (p: Promise<unknown>) =>
    p.then(
      () => {
        throw new Error("expected a rejection");
      },
      (e: unknown) => e as ClusterError,
    );

  it.each([
    [503, undefined, { code: "unavailable", kind: "service_unavailable", transient: true }],
    [500, undefined, { code: "internal", kind: "internal_error", transient: true }],
    [429, 3, { code: "resource_exhausted", kind: "too_many_requests", transient: true, retryAfterMs: 3_000 }],
    [409, undefined, { code: "aborted", kind: "conflict", transient: true }],
    [403, undefined, { code: "permission_denied", kind: "forbidden", transient: false }],
    [400, undefined, { code: "invalid_argument", kind: "bad_request", transient: false }],
  ] as const)("classifies an HTTP %i from the server", async (status, retryAfterSeconds, expected) => {
    const s = await spec();
    await standIn.injectFault(REGION, { status, retryAfterSeconds, path: "/deployments/" });
    const error = await failure(driver.applyWorkload(REGION, s));
    expect(error).toBeInstanceOf(ClusterError);
    expect(error).toMatchObject({ ...expected, status, region: REGION });
    expect(error.message).toContain(`apply Deployment ${s.namespace}/${workloadName(s.deploymentId)}`);
  });

  it("treats the server's 500 for an undeclared field in an apply as terminal", async () => {
    const s = await spec();
    const error = await failure(
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
    expect(error).toMatchObject({ code: "invalid_argument", kind: "invalid", transient: false, status: 500 });
    expect(error.message).toContain(".spec.clusterIPP: field not declared in schema");
  });

  it("times out a request that gets no answer (transient)", async () => {
    const s = await spec();
    await standIn.injectFault(REGION, { delayMs: 2_500, path: "/deployments/" });
    const error = await failure(driver.applyWorkload(REGION, s));
    expect(error).toMatchObject({ code: "deadline_exceeded", kind: "timeout", transient: true });
    await sleep(1_600); // let the delayed request finish on the server
  });

  it("reports a cluster without Cilium's CRD as terminal NotServed", async () => {
    const s = await spec();
    await standIn.injectFault(REGION, { status: 404, body: "404 page not found\n", path: "/ciliumnetworkpolicies/" });
    const error = await failure(
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
    await standIn.injectFault(REGION, { status: 403, path: `/namespaces/${s.namespace}`, method: "PATCH" });
    await expect(driver.ensureNamespace(REGION, s.namespace)).resolves.toBeUndefined();
    await standIn.injectFault(REGION, { status: 403, path: "/namespaces/not-there", method: "PATCH" });
    await expect(driver.ensureNamespace(REGION, "not-there")).rejects.toMatchObject({
      code: "permission_denied",
      kind: "forbidden",
      transient: false,
    });
  });

  it("retries transient failures while waiting for readiness", async () => {
    const s = await spec();
    const ref = await driver.applyWorkload(REGION, s);
    await standIn.injectFault(REGION, { status: 503, count: 2, path: "/pods" });
    const mark = events.length;
    await expect(driver.waitReady(REGION, ref, 1, { deadline: new Date(Date.now() + 10_000) })).resolves.toHaveLength(
      1,
    );
    expect(events.slice(mark).filter((e) => e.type === "retry")).toHaveLength(2);
  });

  it("lists again when its resourceVersion has expired (410)", async () => {
    await standIn.setKubelet(REGION, { mode: "unschedulable" });
    const s = await spec();
    const ref = await driver.applyWorkload(REGION, s);
    const mark = events.length;
    const waiting = driver.waitReady(REGION, ref, 1, { deadline: new Date(Date.now() + 10_000) });
    // Both of the wait's watches (its Deployment and its pods) are open on the server before they drop.
    await until(async () => (await standIn.openWatches(REGION)) >= 2);
    // The connection drops; before the driver is back, more happens and the server compacts its history.
    await standIn.injectFault(REGION, { delayMs: 500, path: "/pods", method: "GET" });
    await standIn.dropWatches(REGION);
    await driver.scale(REGION, ref, 2);
    await sleep(100);
    await standIn.compact(REGION);
    await until(() => events.slice(mark).some((e) => e.type === "relist"));
    await standIn.setKubelet(REGION, { mode: "ready" });
    // At least the one asked for (both replicas may become ready at once).
    expect((await waiting).length).toBeGreaterThanOrEqual(1);
    const starts = events.slice(mark).flatMap((e) => (e.type === "watch-start" ? [e.reason] : []));
    expect(starts).toEqual(expect.arrayContaining(["initial", "resume", "relist"]));
  });

  it("keeps sockets for requests while many waits hold watches open (40 waits: 80 watches)", async () => {
    await standIn.setKubelet(REGION, { mode: "unschedulable" });
    const ref = await driver.applyWorkload(REGION, await spec());
    const controller = new AbortController();
    const mark = events.length;
    const waits = Array.from({ length: 40 }, () =>
      driver
        .waitReady(REGION, ref, 1, { deadline: new Date(Date.now() + 120_000), signal: controller.signal })
        .catch(() => undefined),
    );
    try {
      await until(() => events.slice(mark).filter((e) => e.type === "watch-start").length >= 80, 20_000);
      // On one pool of 64 sockets this apply would queue behind the watches until they end.
      await expect(driver.applyWorkload(REGION, await spec())).resolves.toHaveProperty("resourceVersion.deployment");
    } finally {
      controller.abort(new Error("test done"));
      await Promise.all(waits);
    }
  });

  it("stops waiting when the caller aborts (transient Aborted)", async () => {
    await standIn.setKubelet(REGION, { mode: "not-ready" });
    const s = await spec();
    const ref = await driver.applyWorkload(REGION, s);
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error("shutting down")), 300);
    const error = await failure(
      driver.waitReady(REGION, ref, 1, { deadline: new Date(Date.now() + 10_000), signal: controller.signal }),
    );
    expect(error).toMatchObject({ code: "canceled", kind: "aborted", transient: true, region: REGION });
    expect(error.message).toContain("shutting down");
  });

  it("reports why instances are not ready at the deadline", async () => {
    await standIn.setKubelet(REGION, { mode: "crash-loop" });
    const s = await spec({ replicas: 2 });
    const ref = await driver.applyWorkload(REGION, s);
    const error = await failure(driver.waitReady(REGION, ref, 2, { deadline: new Date(Date.now() + 800) }));
    expect(error).toMatchObject({
      code: "deadline_exceeded",
      kind: "deadline_exceeded",
      transient: false,
      ready: 0,
      required: 2,
    });
    expect(error.message).toMatch(
      /region local: 0 of 2 required instances ready at the deadline .*; not ready: 2 × CrashLoopBackOff \(back-off/,
    );
  });
});
