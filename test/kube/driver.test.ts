/**
 * The kubernetes driver where a real control plane differs from a stand-in: admission refusing
 * pods (PodSecurity, ResourceQuota), Pod Security levels of the template, a namespace being
 * deleted, Cilium's verdict in a policy's status (the test plays Cilium's agent), and RBAC (the
 * shipped role is exactly enough). Runs under `pnpm test:kube` (needs the clusters cluster.ts starts).
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
  ClusterDeadlineError,
  ClusterError,
  type WorkloadSpec,
  networkPolicyName,
  parseClusters,
} from "@hydra/cluster";
import { KubernetesDriver } from "@hydra/cluster/kubernetes";
import { parseAllDocuments, stringify } from "yaml";
import { fakeId } from "../cluster-contract/targets";
import { REPO_ROOT, driverRejection, kubeOk, kubeRequest, readState } from "./control";

const state = readState();
const region = Object.keys(state.regions).sort()[0]!;
const run = randomBytes(3).toString("hex");
let n = 0;
const newNamespace = () => `kt-${run}-${++n}`;
const farDeadline = () => ({ deadline: new Date(Date.now() + 10 * 60_000) });

/** Writes a kubeconfig for `region`'s API server whose one user authenticates with `credentials`; returns its path. */
function writeKubeconfig(path: string, user: string, credentials: Record<string, unknown>): string {
  writeFileSync(
    path,
    stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: [
        { name: region, cluster: { server: state.regions[region]!.server, "certificate-authority": state.pki.ca } },
      ],
      users: [{ name: user, user: credentials }],
      contexts: [{ name: region, context: { cluster: region, user } }],
      "current-context": region,
    }),
  );
  return path;
}

function hydraDriver(extra: { policyVerdictWaitMs?: number } = {}): KubernetesDriver {
  return new KubernetesDriver({
    kind: "kubernetes",
    clusters: parseClusters(state.clustersPath),
    policyVerdictWaitMs: 0,
    ...extra,
  });
}

function spec(namespace: string, extra: Partial<WorkloadSpec> = {}): WorkloadSpec {
  return {
    workspaceId: fakeId("ws"),
    projectId: fakeId("prj"),
    environmentId: fakeId("env"),
    deploymentId: fakeId("dep"),
    namespace,
    image: "registry.k8s.io/e2e-test-images/agnhost:2.53",
    command: ["/agnhost", "netexec", "--http-port=8080"],
    replicas: 1,
    port: 8080,
    resources: { cpu: "50m", memory: "64Mi" },
    ...extra,
  };
}

async function adminNamespace(name: string, labels: Record<string, string> = {}): Promise<void> {
  await kubeOk(state, region, "POST", "/api/v1/namespaces", {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name, labels },
  });
}

let driver: KubernetesDriver;
beforeAll(() => {
  driver = hydraDriver();
});
afterAll(async () => {
  await driver?.close();
});

describe("admission refusing pods surfaces at once as a terminal error naming the policy", () => {
  it("PodSecurity: a namespace enforcing restricted refuses the default (baseline) template; the restricted template passes", async () => {
    const ns = newNamespace();
    await adminNamespace(ns, { "pod-security.kubernetes.io/enforce": "restricted" });
    await driver.ensureNamespace(region, ns);
    const refused = await driver.applyWorkload(region, spec(ns));
    // The deadline is far away: only the ReplicaSet's FailedCreate can end this wait in time.
    const error = await driverRejection(driver.waitReady(region, refused, 1, farDeadline()));
    expect(error).toBeInstanceOf(ClusterError);
    expect(error).toMatchObject({
      code: "failed_precondition",
      kind: "refused",
      transient: false,
      region,
      reason: "FailedCreate",
    });
    expect(error.message).toContain('violates PodSecurity "restricted:latest"');
    expect(error.message).toContain(refused.name);

    const restricted = await driver.applyWorkload(region, spec(ns, { podSecurity: "restricted" }));
    await expect(driver.waitReady(region, restricted, 1, farDeadline())).resolves.toHaveLength(1);
  });

  it("the default template passes the cluster's default enforcement (baseline)", async () => {
    const ns = newNamespace();
    await driver.ensureNamespace(region, ns);
    const ref = await driver.applyWorkload(region, spec(ns, { replicas: 2 }));
    await expect(driver.waitReady(region, ref, 2, farDeadline())).resolves.toHaveLength(2);
  });

  it("ResourceQuota: pods over the namespace's quota are refused, the message names the quota", async () => {
    const ns = newNamespace();
    await adminNamespace(ns);
    await kubeOk(state, region, "POST", `/api/v1/namespaces/${ns}/resourcequotas`, {
      apiVersion: "v1",
      kind: "ResourceQuota",
      metadata: { name: "hydra-tight" },
      spec: { hard: { "limits.cpu": "100m" } },
    });
    await driver.ensureNamespace(region, ns);
    const ref = await driver.applyWorkload(region, spec(ns, { resources: { cpu: "250m", memory: "64Mi" } }));
    const error = await driverRejection(driver.waitReady(region, ref, 1, farDeadline()));
    expect(error).toMatchObject({ code: "failed_precondition", kind: "refused", transient: false });
    expect(error.message).toContain("exceeded quota: hydra-tight");
  });
});

it("waits out a namespace being deleted, then creates it anew (creating inside it meanwhile is a transient error)", async () => {
  const ns = newNamespace();
  await driver.ensureNamespace(region, ns);
  // A finalizer on an object inside keeps the namespace Terminating until the test lets go.
  await kubeOk(state, region, "POST", `/api/v1/namespaces/${ns}/configmaps`, {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "held", finalizers: ["hydra.test/hold"] },
  });
  await kubeOk(state, region, "DELETE", `/api/v1/namespaces/${ns}`);
  for (;;) {
    const phase = (await kubeOk<{ status?: { phase?: string } }>(state, region, "GET", `/api/v1/namespaces/${ns}`))
      .status?.phase;
    if (phase === "Terminating") break;
    await sleep(100);
  }
  const inside = await driverRejection(driver.applyWorkload(region, spec(ns)));
  expect(inside).toMatchObject({ code: "unavailable", kind: "terminating", transient: true, status: 403 });

  let settled = false;
  const ensuring = driver.ensureNamespace(region, ns).finally(() => (settled = true));
  await sleep(1_000);
  expect(settled).toBe(false); // still waiting: the namespace cannot go while the finalizer holds
  await kubeOk(
    state,
    region,
    "PATCH",
    `/api/v1/namespaces/${ns}/configmaps/held`,
    { metadata: { finalizers: null } },
    { contentType: "application/merge-patch+json" },
  );
  await ensuring;
  const namespace = await kubeOk<{ status?: { phase?: string }; metadata: { labels?: Record<string, string> } }>(
    state,
    region,
    "GET",
    `/api/v1/namespaces/${ns}`,
  );
  expect(namespace.status?.phase).toBe("Active");
  expect(namespace.metadata.labels?.["app.kubernetes.io/managed-by"]).toBe("hydra");
  const ref = await driver.applyWorkload(region, spec(ns));
  await expect(driver.waitReady(region, ref, 1, farDeadline())).resolves.toHaveLength(1);
});

describe("Cilium's verdict on a policy (the test plays Cilium's agent, writing the status)", () => {
  async function judgeWhenApplied(ns: string, name: string, condition: Record<string, string>): Promise<void> {
    const path = `/apis/cilium.io/v2/namespaces/${ns}/ciliumnetworkpolicies/${name}`;
    while ((await kubeRequest(state, region, "GET", path)).status !== 200) await sleep(50);
    await kubeOk(
      state,
      region,
      "PATCH",
      `${path}/status`,
      {
        status: {
          conditions: [{ ...condition, lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, "Z") }],
        },
      },
      {
        contentType: "application/merge-patch+json",
      },
    );
  }

  it.each([
    ["Valid=False fails the step with Cilium's message", "False"],
    ["Valid=True lets it through", "True"],
  ])("%s", async (_what, valid) => {
    const judged = hydraDriver({ policyVerdictWaitMs: 120_000 });
    try {
      const ns = newNamespace();
      await judged.ensureNamespace(region, ns);
      const s = spec(ns);
      const message =
        valid === "False"
          ? "Invalid CiliumNetworkPolicy spec: rule 0: unsupported port protocol"
          : "Policy validation succeeded";
      const [result] = await Promise.allSettled([
        judged.ensureNetworkPolicy(region, { ...s, port: 8080, sentinel: { namespace: ns, selector: { a: "b" } } }),
        judgeWhenApplied(ns, networkPolicyName(s.deploymentId), {
          type: "Valid",
          status: valid,
          reason: valid === "False" ? "ValidationFailed" : "PolicyValidated",
          message,
        }),
      ]);
      if (valid === "True") {
        expect(result.status).toBe("fulfilled");
        return;
      }
      expect(result.status).toBe("rejected");
      const error = (result as PromiseRejectedResult).reason as ClusterError;
      expect(error).toMatchObject({
        code: "invalid_argument",
        kind: "invalid",
        transient: false,
        reason: "ValidationFailed",
        region,
      });
      expect(error.message).toContain(message);
      // A replay of the step reads the same verdict from the applied object.
      await expect(
        judged.ensureNetworkPolicy(region, { ...s, port: 8080, sentinel: { namespace: ns, selector: { a: "b" } } }),
      ).rejects.toMatchObject({ code: "invalid_argument", kind: "invalid" });
    } finally {
      await judged.close();
    }
  });
});

describe("RBAC: hydra works with exactly the verbs of deploy/rbac.yaml", () => {
  interface Rule {
    apiGroups: string[];
    resources: string[];
    verbs: string[];
  }
  const shipped = parseAllDocuments(readFileSync(join(REPO_ROOT, "deploy", "rbac.yaml"), "utf8"))
    .map((d) => d.toJS() as { kind: string; rules?: Rule[] })
    .find((d) => d.kind === "ClusterRole")!.rules!;
  const cases = shipped.flatMap((rule) =>
    rule.resources.flatMap((resource) => rule.verbs.map((verb) => ({ resource, verb }))),
  );
  const probeNs = `kt-rbac-${run}`;
  const dir = mkdtempSync(join(tmpdir(), "hydra-rbac-"));
  let probes = 0;

  beforeAll(async () => {
    await adminNamespace(probeNs);
  });

  /** A ServiceAccount bound to `rules`, and a kubeconfig with its token; resolves once RBAC grants it. */
  async function identity(rules: Rule[]): Promise<string> {
    const name = `probe-${++probes}`;
    await kubeOk(state, region, "POST", `/api/v1/namespaces/${probeNs}/serviceaccounts`, {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: { name },
    });
    await kubeOk(state, region, "POST", "/apis/rbac.authorization.k8s.io/v1/clusterroles", {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: { name: `${probeNs}-${name}` },
      rules,
    });
    await kubeOk(state, region, "POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: `${probeNs}-${name}` },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: `${probeNs}-${name}` },
      subjects: [{ kind: "ServiceAccount", name, namespace: probeNs }],
    });
    const token = await kubeOk<{ status: { token: string } }>(
      state,
      region,
      "POST",
      `/api/v1/namespaces/${probeNs}/serviceaccounts/${name}/token`,
      {
        apiVersion: "authentication.k8s.io/v1",
        kind: "TokenRequest",
        spec: { expirationSeconds: 3600 },
      },
    );
    // The authorizer's cache sees the binding shortly after it is written.
    const user = `system:serviceaccount:${probeNs}:${name}`;
    const granted = rules.flatMap((r) =>
      r.verbs.map((verb) => ({ verb, group: r.apiGroups[0]!, resource: r.resources[0]! })),
    )[0]!;
    for (let i = 0; ; i++) {
      const review = await kubeOk<{ status: { allowed: boolean } }>(
        state,
        region,
        "POST",
        "/apis/authorization.k8s.io/v1/subjectaccessreviews",
        {
          apiVersion: "authorization.k8s.io/v1",
          kind: "SubjectAccessReview",
          spec: {
            user,
            groups: ["system:serviceaccounts", `system:serviceaccounts:${probeNs}`, "system:authenticated"],
            resourceAttributes: {
              ...granted,
              resource: granted.resource.split("/")[0],
              subresource: granted.resource.split("/")[1],
            },
          },
        },
      );
      if (review.status.allowed) break;
      if (i > 200) throw new Error(`RBAC never granted ${user} its role`);
      await sleep(50);
    }
    return writeKubeconfig(join(dir, `${name}.kubeconfig`), name, { token: token.status.token });
  }

  /** Everything a deploy, standby and clean-up ask of a cluster, in the workflow's order. */
  async function fullCycle(kubeconfig: string): Promise<void> {
    const probe = new KubernetesDriver({
      kind: "kubernetes",
      clusters: { [region]: { kubeconfig } },
      policyVerdictWaitMs: 300,
    });
    try {
      const ns = newNamespace();
      const s = spec(ns);
      await probe.ensureNamespace(region, ns, { "hydra.dev/workspace-id": s.workspaceId });
      const { deploymentId: _d, ...owner } = s;
      const sentinel = await probe.ensureSentinel(region, {
        ...owner,
        namespace: ns,
        image: s.image,
        command: s.command,
        replicas: 1,
        resources: s.resources,
      });
      await probe.ensureNetworkPolicy(region, { ...s, port: 8080, sentinel });
      const ref = await probe.applyWorkload(region, s);
      await probe.applyWorkload(region, s); // a replay: patch of what exists
      await probe.waitReady(region, ref, 1, farDeadline());
      await probe.scale(region, ref, 0);
      // Waiting for what is not there yet has to watch (the pods above may have been ready at the first list).
      await probe.waitReady(region, ref, 1, { deadline: new Date(Date.now() + 1_500) }).then(
        () => {
          throw new Error("a workload scaled to 0 reported ready");
        },
        (error: unknown) => {
          if (!(error instanceof ClusterDeadlineError)) throw error;
        },
      );
      await probe.deleteWorkload(region, ref);
    } finally {
      await probe.close();
    }
  }

  it("the shipped role is enough for the whole cycle", async () => {
    await fullCycle(await identity(shipped));
  });

  it.each(cases)(
    "without $verb on $resource the cycle fails with a Forbidden naming that verb",
    async ({ resource, verb }) => {
      const rules = shipped
        .map((r) => (r.resources.includes(resource) ? { ...r, verbs: r.verbs.filter((v) => v !== verb) } : r))
        .filter((r) => r.verbs.length > 0);
      const error = await driverRejection(fullCycle(await identity(rules)));
      expect(error).toBeInstanceOf(ClusterError);
      expect(error).toMatchObject({ code: "permission_denied", kind: "forbidden", transient: false, status: 403 });
      expect(error.message).toContain(`cannot ${verb} resource "${resource}"`);
    },
  );
});

describe("an exec credential plugin (client.authentication.k8s.io/v1) supplies hydra's credentials", () => {
  const dir = mkdtempSync(join(tmpdir(), "hydra-exec-"));
  const calls = join(dir, "calls");

  /** A kubeconfig for `region` whose user runs `plugin` (a Node script) for its credentials. */
  function execKubeconfig(name: string, plugin: string): string {
    const script = join(dir, `${name}.js`);
    writeFileSync(script, plugin);
    const path = writeKubeconfig(join(dir, `${name}.kubeconfig`), "hydra-exec", {
      exec: {
        apiVersion: "client.authentication.k8s.io/v1",
        command: process.execPath,
        args: [script],
        interactiveMode: "Never",
      },
    });
    const clusters = join(dir, `${name}.clusters.json`);
    writeFileSync(clusters, JSON.stringify({ [region]: { kubeconfig: path, context: region } }));
    return clusters;
  }

  const driverFor = (clustersPath: string) =>
    new KubernetesDriver({ kind: "kubernetes", clusters: parseClusters(clustersPath), policyVerdictWaitMs: 0 });

  it("the plugin's client certificate authenticates as the hydra user (RBAC applies), and the plugin ran", async () => {
    const clustersPath = execKubeconfig(
      "good",
      `const fs = require("fs");
fs.appendFileSync(${JSON.stringify(calls)}, "x");
process.stdout.write(JSON.stringify({
  apiVersion: "client.authentication.k8s.io/v1",
  kind: "ExecCredential",
  status: {
    clientCertificateData: fs.readFileSync(${JSON.stringify(state.pki.hydraCert)}, "utf8"),
    clientKeyData: fs.readFileSync(${JSON.stringify(state.pki.hydraKey)}, "utf8"),
  },
}));`,
    );
    const driver = driverFor(clustersPath);
    try {
      const ns = newNamespace();
      await driver.ensureNamespace(region, ns);
      const created = await kubeOk<{ metadata: { name: string } }>(state, region, "GET", `/api/v1/namespaces/${ns}`);
      expect(created.metadata.name).toBe(ns);
      expect(readFileSync(calls, "utf8").length).toBeGreaterThanOrEqual(1);
    } finally {
      await driver.close();
    }
  });

  it("a plugin that fails is a terminal configuration error carrying the plugin's own words", async () => {
    const clustersPath = execKubeconfig(
      "failing",
      `process.stderr.write("no credentials for this cluster: log in first"); process.exit(1);`,
    );
    const driver = driverFor(clustersPath);
    try {
      const error = await driverRejection(driver.ensureNamespace(region, newNamespace()));
      expect(error).toBeInstanceOf(ClusterError);
      expect(error).toMatchObject({ kind: "configuration", transient: false });
      expect(error.message).toContain("no credentials for this cluster: log in first");
    } finally {
      await driver.close();
    }
  });
});
