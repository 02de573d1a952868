/**
 * The stand-in itself: does it answer like the API server? Raw HTTP against its REST paths,
 * and @kubernetes/client-node's own clients against the kubeconfig it writes.
 */
import * as http from "node:http";
import { createRequire } from "node:module";
import { type StandIn, startStandIn } from ".";

const TOKEN = "standin-token";

interface Raw<T> {
  status: number;
  /** The parsed JSON (or the text): T is what the test expects it to be. */
  body: T;
  text: string;
  headers: http.IncomingHttpHeaders;
}

/** The parts of API answers these tests look into. */
interface ObjectJson {
  metadata: {
    name: string;
    resourceVersion: string;
    generation?: number;
    labels?: Record<string, string>;
    ownerReferences?: Array<Record<string, unknown>>;
    managedFields?: Array<{ manager: string; operation: string; fieldsV1: Record<string, object | undefined> }>;
  };
  spec: { replicas?: number };
  status: { phase?: string; podIP?: string };
}

interface ListJson {
  metadata: { resourceVersion: string };
  items: ObjectJson[];
}

interface StatusJson {
  message: string;
}

interface ResourceListJson {
  resources: Array<{ name: string }>;
}

function raw<T = unknown>(
  port: number,
  method: string,
  path: string,
  body?: unknown,
  contentType = "application/json",
  token: string | null = TOKEN,
): Promise<Raw<T>> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
    const headers: http.OutgoingHttpHeaders = token ? { Authorization: `Bearer ${token}` } : {};
    if (payload) Object.assign(headers, { "Content-Type": contentType, "Content-Length": Buffer.byteLength(payload) });
    const req = http.request({ host: "127.0.0.1", port, method, path, headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => {
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          // plain text
        }
        resolve({ status: res.statusCode ?? 0, body: parsed as T, text, headers: res.headers });
      });
    });
    req.on("error", reject);
    req.end(payload);
  });
}

/** Opens a watch and collects its events until `stop()`. */
function watch(
  port: number,
  path: string,
): { events: Array<{ type: string; object: ObjectJson }>; stop: () => void; ended: Promise<void> } {
  const events: Array<{ type: string; object: ObjectJson }> = [];
  let req!: http.ClientRequest;
  const ended = new Promise<void>((resolve) => {
    req = http.request({ host: "127.0.0.1", port, path, headers: { Authorization: `Bearer ${TOKEN}` } }, (res) => {
      let buffer = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => {
        buffer += c;
        let i: number;
        while ((i = buffer.indexOf("\n")) >= 0) {
          events.push(JSON.parse(buffer.slice(0, i)));
          buffer = buffer.slice(i + 1);
        }
      });
      res.on("end", () => resolve());
      res.on("close", () => resolve());
    });
    req.on("error", () => resolve());
    req.end();
  });
  return { events, stop: () => req.destroy(), ended };
}

/**
 * The parts of @kubernetes/client-node this test calls. Its types are out of reach: the test package
 * does not depend on it directly (it loads @hydra/cluster's copy).
 */
interface ClientNode {
  KubeConfig: new () => ClientKubeConfig;
  CoreV1Api: unknown;
  KubernetesObjectApi: { makeApiClient(kc: ClientKubeConfig): ClientObjectApi };
  PatchStrategy: { ServerSideApply: string };
}

interface ClientKubeConfig {
  loadFromFile(path: string): void;
  setCurrentContext(name: string): void;
  makeApiClient(api: unknown): ClientCoreV1Api;
}

interface ClientCoreV1Api {
  listNamespace(): Promise<{ items: Array<{ metadata?: { name?: string } }> }>;
  readNamespacedService(input: { name: string; namespace: string }): Promise<{ spec?: { clusterIP?: string } }>;
}

interface ClientObjectApi {
  patch(
    spec: { apiVersion: string; kind: string; metadata: { name: string; namespace: string }; spec?: object },
    pretty: undefined,
    dryRun: undefined,
    fieldManager: string,
    force: boolean,
    strategy: string,
  ): Promise<{ metadata?: { managedFields?: Array<{ manager?: string; operation?: string }> } }>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const APPLY = "application/apply-patch+yaml";

function deployment(name: string, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, labels: { app: name } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: "app", image: "nginx:1.27", ports: [{ containerPort: 80, protocol: "TCP" }] }] },
      },
      ...extra,
    },
  };
}

/** Events the stand-in keeps for watches from a resourceVersion. */
const HISTORY = 300;

describe("Kubernetes API stand-in", () => {
  let standIn: StandIn;
  let port: number;
  const ns = "standin-test";

  beforeAll(async () => {
    standIn = await startStandIn({
      regions: ["one"],
      readyDelayMs: 50,
      bookmarkIntervalMs: 200,
      historyLimit: HISTORY,
    });
    port = standIn.regions.one!.port;
    const created = await raw(
      port,
      "PATCH",
      `/api/v1/namespaces/${ns}?fieldManager=test`,
      { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } },
      APPLY,
    );
    expect(created.status).toBe(201);
  }, 60_000);

  afterAll(() => standIn?.stop());

  it("serves discovery and requires the kubeconfig's bearer token", async () => {
    expect((await raw<ResourceListJson>(port, "GET", "/apis/apps/v1")).body.resources.map((r) => r.name)).toEqual([
      "deployments",
      "deployments/status",
      "deployments/scale",
    ]);
    expect((await raw<ResourceListJson>(port, "GET", "/apis/cilium.io/v2")).body.resources[0]).toMatchObject({
      name: "ciliumnetworkpolicies",
      kind: "CiliumNetworkPolicy",
      namespaced: true,
    });
    const denied = await raw(port, "GET", "/api/v1/namespaces", undefined, undefined, null);
    expect(denied).toMatchObject({ status: 401, body: { kind: "Status", reason: "Unauthorized", code: 401 } });
    expect((await raw(port, "GET", "/apis/example.com/v1/things")).status).toBe(404);
  });

  it("answers with the API server's Status bodies: 404, 409 AlreadyExists, 422 with causes", async () => {
    const missing = await raw(port, "GET", `/apis/apps/v1/namespaces/${ns}/deployments/nope`);
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: 'deployments.apps "nope" not found',
      reason: "NotFound",
      details: { name: "nope", group: "apps", kind: "deployments" },
      code: 404,
    });
    const noNamespace = await raw(
      port,
      "PATCH",
      "/api/v1/namespaces/ghost/services/x?fieldManager=test",
      { apiVersion: "v1", kind: "Service", metadata: { name: "x" }, spec: { ports: [{ port: 80, protocol: "TCP" }] } },
      APPLY,
    );
    expect(noNamespace.body).toMatchObject({
      code: 404,
      reason: "NotFound",
      message: 'namespaces "ghost" not found',
      details: { kind: "namespaces" },
    });

    const svc = {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "web" },
      spec: { selector: { app: "web" }, ports: [{ port: 80, protocol: "TCP" }] },
    };
    expect((await raw(port, "POST", `/api/v1/namespaces/${ns}/services`, svc)).status).toBe(201);
    const again = await raw(port, "POST", `/api/v1/namespaces/${ns}/services`, svc);
    expect(again.body).toMatchObject({ code: 409, reason: "AlreadyExists", message: 'services "web" already exists' });

    const bad = deployment("bad");
    bad.spec.replicas = -1;
    bad.spec.template.spec.containers[0]!.image = "";
    const invalid = await raw(
      port,
      "PATCH",
      `/apis/apps/v1/namespaces/${ns}/deployments/bad?fieldManager=test`,
      bad,
      APPLY,
    );
    expect(invalid.status).toBe(422);
    expect(invalid.body).toMatchObject({
      reason: "Invalid",
      code: 422,
      message:
        'Deployment.apps "bad" is invalid: [spec.replicas: Invalid value: -1: must be greater than or equal to 0, spec.template.spec.containers[0].image: Required value]',
      details: {
        name: "bad",
        group: "apps",
        kind: "Deployment",
        causes: [
          {
            reason: "FieldValueInvalid",
            field: "spec.replicas",
            message: "Invalid value: -1: must be greater than or equal to 0",
          },
          { reason: "FieldValueRequired", field: "spec.template.spec.containers[0].image", message: "Required value" },
        ],
      },
    });
  });

  it("validates against the real schemas: required fields, undeclared fields, wrong types", async () => {
    const noContainers = deployment("nocontainers");
    (noContainers.spec.template.spec as { containers: unknown[] }).containers = [{ image: "nginx" }];
    const missingName = await raw(
      port,
      "PATCH",
      `/apis/apps/v1/namespaces/${ns}/deployments/nocontainers?fieldManager=test`,
      noContainers,
      "application/apply-patch+yaml",
    );
    // An element of an associative list without its key field cannot even be typed.
    expect(missingName.body).toMatchObject({ code: 500, message: expect.stringContaining('omits key field "name"') });

    const typo = deployment("typo");
    Object.assign(typo.spec.template.spec.containers[0]!, { imagePullPolicyy: "Always" });
    const undeclared = await raw(
      port,
      "PATCH",
      `/apis/apps/v1/namespaces/${ns}/deployments/typo?fieldManager=test`,
      typo,
      APPLY,
    );
    expect(undeclared.body).toEqual({
      kind: "Status",
      apiVersion: "v1",
      metadata: {},
      status: "Failure",
      message: `failed to create typed patch object (${ns}/typo; apps/v1, Kind=Deployment): .spec.template.spec.containers[name="app"].imagePullPolicyy: field not declared in schema`,
      code: 500,
    });

    const wrongType = deployment("wrongtype", { replicas: "two" });
    expect(
      (
        await raw<StatusJson>(
          port,
          "PATCH",
          `/apis/apps/v1/namespaces/${ns}/deployments/wrongtype?fieldManager=test`,
          wrongType,
          APPLY,
        )
      ).body.message,
    ).toContain(".spec.replicas: expected numeric (int or float), got string");

    // Creates are validated too: kubernetes-models' schema requires a Service port's number.
    const portless = await raw(port, "POST", `/api/v1/namespaces/${ns}/services`, {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "portless" },
      spec: { ports: [{ protocol: "TCP" }] },
    });
    expect(portless.body).toMatchObject({
      code: 422,
      details: {
        causes: expect.arrayContaining([
          expect.objectContaining({ field: "spec.ports[0].port", reason: "FieldValueRequired" }),
        ]),
      },
    });

    const noApplyManager = await raw(
      port,
      "PATCH",
      `/apis/apps/v1/namespaces/${ns}/deployments/x`,
      deployment("x"),
      APPLY,
    );
    expect(noApplyManager.body).toMatchObject({
      code: 422,
      message: 'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
    });
  });

  it("validates CiliumNetworkPolicies against Cilium's CRD schema", async () => {
    const policy = (spec: unknown) => ({
      apiVersion: "cilium.io/v2",
      kind: "CiliumNetworkPolicy",
      metadata: { name: "p" },
      spec,
    });
    const path = `/apis/cilium.io/v2/namespaces/${ns}/ciliumnetworkpolicies/p?fieldManager=test`;
    const good = policy({
      endpointSelector: { matchLabels: { app: "web" } },
      ingress: [
        {
          fromEndpoints: [{ matchLabels: { "k8s:io.kubernetes.pod.namespace": ns, app: "sentinel" } }],
          toPorts: [{ ports: [{ port: "8080", protocol: "TCP" }] }],
        },
      ],
    });
    expect((await raw(port, "PATCH", path, good, APPLY)).status).toBe(201);

    const badProtocol = policy({
      endpointSelector: {},
      ingress: [{ toPorts: [{ ports: [{ port: "8080", protocol: "HTTP" }] }] }],
    });
    const r1 = await raw<StatusJson>(port, "PATCH", path, badProtocol, APPLY);
    expect(r1.body).toMatchObject({
      code: 422,
      reason: "Invalid",
      details: {
        kind: "CiliumNetworkPolicy",
        group: "cilium.io",
        causes: [{ field: "spec.ingress[0].toPorts[0].ports[0].protocol", reason: "FieldValueNotSupported" }],
      },
    });
    expect(r1.body.message).toMatch(
      /^CiliumNetworkPolicy\.cilium\.io "p" is invalid: spec\.ingress\[0\]\.toPorts\[0\]\.ports\[0\]\.protocol: Unsupported value: "HTTP"/,
    );

    const both = policy({ endpointSelector: {}, nodeSelector: {}, ingress: [{}] });
    expect((await raw(port, "PATCH", path, both, APPLY)).body).toMatchObject({
      code: 422,
      details: { causes: [{ field: "spec" }] },
    });

    const undeclared = policy({ endpointSelector: {}, ingress: [{ fromPods: [] }] });
    expect((await raw(port, "PATCH", path, undeclared, APPLY)).body).toMatchObject({
      code: 500,
      message: expect.stringContaining(".spec.ingress[0].fromPods: field not declared in schema"),
    });
  });

  it("applies server-side: no-op re-apply, conflicts between managers (409) unless forced, managedFields", async () => {
    const path = `/apis/apps/v1/namespaces/${ns}/deployments/ssa`;
    const first = await raw(
      port,
      "PATCH",
      `${path}?fieldManager=hydra&force=true`,
      deployment("ssa", { replicas: 2 }),
      APPLY,
    );
    expect(first.status).toBe(201);
    await sleep(300); // the kubelet settles the status
    const settled = (await raw<ObjectJson>(port, "GET", path)).body.metadata.resourceVersion;
    const again = await raw<ObjectJson>(
      port,
      "PATCH",
      `${path}?fieldManager=hydra&force=true`,
      deployment("ssa", { replicas: 2 }),
      APPLY,
    );
    expect(again.status).toBe(200);
    expect(again.body.metadata.resourceVersion).toBe(settled);

    const other = await raw(
      port,
      "PATCH",
      `${path}?fieldManager=operator`,
      { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "ssa" }, spec: { replicas: 5 } },
      APPLY,
    );
    expect(other.status).toBe(409);
    expect(other.body).toMatchObject({
      reason: "Conflict",
      code: 409,
      message: 'Apply failed with 1 conflict: conflict with "hydra" using apps/v1: .spec.replicas',
      details: {
        causes: [
          { reason: "FieldManagerConflict", field: ".spec.replicas", message: 'conflict with "hydra" using apps/v1' },
        ],
      },
    });
    const forced = await raw<ObjectJson>(
      port,
      "PATCH",
      `${path}?fieldManager=operator&force=true`,
      { apiVersion: "apps/v1", kind: "Deployment", metadata: { name: "ssa" }, spec: { replicas: 5 } },
      APPLY,
    );
    expect(forced.status).toBe(200);
    expect(forced.body.spec.replicas).toBe(5);
    const managers = forced.body.metadata.managedFields!.map(
      (m) => [m.manager, m.operation, Object.keys(m.fieldsV1["f:spec"] ?? {})] as const,
    );
    expect(managers).toContainEqual(["operator", "Apply", ["f:replicas"]]);
    expect(managers.find((m) => m[0] === "hydra")![2]).not.toContain("f:replicas");

    // A field the applier stops setting (and nobody else owns) is removed.
    const withLabel = deployment("ssa", { replicas: 2 });
    Object.assign(withLabel.metadata.labels, { tier: "web" });
    await raw(port, "PATCH", `${path}?fieldManager=hydra&force=true`, withLabel, APPLY);
    const withoutLabel = await raw<ObjectJson>(
      port,
      "PATCH",
      `${path}?fieldManager=hydra&force=true`,
      deployment("ssa", { replicas: 2 }),
      APPLY,
    );
    expect(withoutLabel.body.metadata.labels).toEqual({ app: "ssa" });
    expect(withoutLabel.body.spec.replicas).toBe(2);
    expect(withoutLabel.body.metadata.generation).toBeGreaterThanOrEqual(3);
  });

  it("scales through the scale subresource", async () => {
    const path = `/apis/apps/v1/namespaces/${ns}/deployments/scaled`;
    await raw(port, "PATCH", `${path}?fieldManager=hydra`, deployment("scaled", { replicas: 1 }), APPLY);
    const scale = await raw(
      port,
      "PATCH",
      `${path}/scale?fieldManager=hydra`,
      { spec: { replicas: 3 } },
      "application/merge-patch+json",
    );
    expect(scale.body).toMatchObject({
      kind: "Scale",
      apiVersion: "autoscaling/v1",
      spec: { replicas: 3 },
      status: { selector: "app=scaled" },
    });
    expect((await raw<ObjectJson>(port, "GET", path)).body.spec.replicas).toBe(3);
    const invalid = await raw(
      port,
      "PATCH",
      `${path}/scale`,
      { spec: { replicas: -1 } },
      "application/merge-patch+json",
    );
    expect(invalid.body).toMatchObject({
      code: 422,
      message:
        'Scale.autoscaling "scaled" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0',
    });
    await sleep(300);
    const pods = await raw<ListJson>(port, "GET", `/api/v1/namespaces/${ns}/pods?labelSelector=app%3Dscaled`);
    expect(pods.body.items).toHaveLength(3);
    expect(pods.body.items[0]!.metadata.ownerReferences![0]).toMatchObject({ kind: "ReplicaSet", controller: true });
    expect(pods.body.items.every((p) => p.status.phase === "Running" && p.status.podIP)).toBe(true);
  });

  it("watches with label selectors, replays from a resourceVersion, sends bookmarks, and answers 410 for expired versions", async () => {
    const base = `/apis/apps/v1/namespaces/${ns}/deployments`;
    const start = (await raw<ListJson>(port, "GET", `${base}?labelSelector=app%3Dwatched`)).body.metadata
      .resourceVersion;
    const w = watch(
      port,
      `${base}?watch=true&labelSelector=app%3Dwatched&resourceVersion=${start}&allowWatchBookmarks=true`,
    );
    await raw(port, "PATCH", `${base}/watched?fieldManager=hydra`, deployment("watched"), APPLY);
    await raw(port, "PATCH", `${base}/unrelated?fieldManager=hydra`, deployment("unrelated"), APPLY);
    await sleep(400);
    await raw(port, "DELETE", `${base}/watched`);
    await sleep(300);
    w.stop();
    const names = new Set(w.events.filter((e) => e.type !== "BOOKMARK").map((e) => e.object.metadata.name));
    expect(names).toEqual(new Set(["watched"]));
    expect(w.events[0]).toMatchObject({ type: "ADDED" });
    expect(w.events.some((e) => e.type === "MODIFIED")).toBe(true); // status from the controller
    expect(w.events.filter((e) => e.type !== "BOOKMARK").at(-1)).toMatchObject({ type: "DELETED" });
    expect(w.events.some((e) => e.type === "BOOKMARK" && e.object.metadata.resourceVersion)).toBe(true);
    const rvs = w.events.filter((e) => e.type !== "BOOKMARK").map((e) => Number(e.object.metadata.resourceVersion));
    expect([...rvs].sort((a, b) => a - b)).toEqual(rvs);

    // Replay: a new watch from the same resourceVersion sees the same history.
    const replay = watch(port, `${base}?watch=true&labelSelector=app%3Dwatched&resourceVersion=${start}`);
    await sleep(200);
    replay.stop();
    expect(replay.events.map((e) => e.type)).toEqual(w.events.filter((e) => e.type !== "BOOKMARK").map((e) => e.type));

    // More writes than the history keeps: `start` is older than any event still held.
    for (let i = 0; i <= HISTORY; i++) {
      const labelled = { apiVersion: "v1", kind: "Namespace", metadata: { name: ns, labels: { n: String(i) } } };
      await raw(port, "PATCH", `/api/v1/namespaces/${ns}?fieldManager=test`, labelled, APPLY);
    }
    const expired = watch(port, `${base}?watch=true&resourceVersion=${start}`);
    await expired.ended;
    expect(expired.events).toEqual([
      {
        type: "ERROR",
        object: expect.objectContaining({
          kind: "Status",
          code: 410,
          reason: "Expired",
          message: expect.stringMatching(/^too old resource version: \d+ \(\d+\)$/),
        }),
      },
    ]);
  });

  it("works with @kubernetes/client-node's own clients through the kubeconfig it writes (http://, insecure-skip-tls-verify)", async () => {
    // Loaded the way @hydra/cluster loads it (the test package does not depend on it directly).
    const entry = createRequire(require.resolve("@hydra/cluster/package.json")).resolve("@kubernetes/client-node");
    const k8s = require(entry) as ClientNode;
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(standIn.kubeconfigPath);
    kc.setCurrentContext(standIn.clusters.one!.context);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    const list = await core.listNamespace();
    expect(list.items.map((n) => n.metadata?.name)).toContain(ns);
    const objects = k8s.KubernetesObjectApi.makeApiClient(kc);
    const applied = await objects
      .patch(
        { apiVersion: "v1", kind: "Secret", metadata: { name: "x", namespace: ns } },
        undefined,
        undefined,
        "hydra",
        true,
        k8s.PatchStrategy.ServerSideApply,
      )
      .catch((e: unknown) => e);
    // Secrets are not served by the stand-in: discovery says so, as a real server would for an unknown kind.
    expect(String(applied)).toContain("Unrecognized API version and kind: v1 Secret");
    const svc = await objects.patch(
      {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "from-client-node", namespace: ns },
        spec: { ports: [{ name: "http", port: 80, protocol: "TCP" }] },
      },
      undefined,
      undefined,
      "hydra",
      true,
      k8s.PatchStrategy.ServerSideApply,
    );
    expect(svc.metadata?.managedFields?.[0]).toMatchObject({ manager: "hydra", operation: "Apply" });
    const read = await core.readNamespacedService({ name: "from-client-node", namespace: ns });
    expect(read.spec?.clusterIP).toMatch(/^10\.96\./);
  });
});
