/**
 * Starts and stops the real Kubernetes control plane of `pnpm test:kube`, one cluster per region
 * on loopback ports:
 *
 *   pnpm exec tsx test/kube/cluster.ts start   # builds nothing: set HYDRA_KUBE_BIN or run build.sh first
 *   pnpm exec tsx test/kube/cluster.ts stop
 *
 * One etcd (each region's API server under its own key prefix), and per region: kube-apiserver
 * (RBAC, the default admission plugins with PodSecurity defaulting to enforce "baseline"),
 * kube-controller-manager, kube-scheduler and kwok (the kubelet stand-in: fake Nodes with Lease
 * heartbeats, scheduled pods made Running/Ready with a pod IP; kwok/hydra-stages.yaml lets a test
 * keep a region's pods unready, or make them ready late). Certificates come from openssl:
 * a CA, the API servers' serving certificate for 127.0.0.1, client certificates for the admin,
 * hydra and each component, and the service-account signing key. Then it applies Cilium's
 * CiliumNetworkPolicy CRD and hydra's least-privilege role (deploy/rbac.yaml), registers the fake
 * nodes, and writes a kubeconfig for the hydra user (a context per region) and a HYDRA_CLUSTERS
 * file. Everything is under HYDRA_KUBE_DIR (default .tmp/kube); state.json describes it.
 *
 * Regions: HYDRA_KUBE_REGIONS (default "us-east,eu-west"). Every wait has a deadline
 * (HYDRA_KUBE_START_TIMEOUT seconds, default 240: the cores may be shared).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseAllDocuments, stringify } from "yaml";
import { freePort } from "../../packages/routing/src/testing";
import { type KubeState, REPO_ROOT, kubeDir, kubeOk, kubeRequest, readState } from "./control";

const CRD = join(__dirname, "crds", "ciliumnetworkpolicies.cilium.io.yaml");
const RBAC = join(REPO_ROOT, "deploy", "rbac.yaml");
/** kwok's own stages, and hydra's (a region's pods never Ready, or Ready late, picked by the image a test deploys). */
const STAGES = [join(__dirname, "kwok", "stages.yaml"), join(__dirname, "kwok", "hydra-stages.yaml")];
/** Each fake node's allocatable resources (kwok would default a node without them to 1,000 CPUs). */
const NODE_ALLOCATABLE = { cpu: "16", memory: "64Gi", pods: "110" };
const NODES_PER_REGION = 2;

function log(message: string): void {
  process.stderr.write(`kube: ${message}\n`);
}

function logTail(logFile: string | undefined): string {
  return logFile && existsSync(logFile)
    ? `\n--- last lines of ${logFile}:\n${readFileSync(logFile, "utf8").split("\n").slice(-25).join("\n")}`
    : "";
}

/**
 * Probes until `probe` gives a value, up to `deadline`. With `components` (a region's
 * processes and the directory of their `<name>.log`), a component that exited ends the wait
 * at once with its log, instead of at the deadline.
 */
async function until<T>(
  what: string,
  deadline: number,
  probe: () => Promise<T | undefined>,
  logFile?: string,
  components?: { pids: Record<string, number>; dir: string },
): Promise<T> {
  let last = "";
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      last = (error as Error).message;
    }
    const exited = Object.entries(components?.pids ?? {}).find(([, pid]) => !alive(pid));
    if (exited) {
      const [name] = exited;
      throw new Error(`${name} exited while waiting for ${what}${logTail(join(components!.dir, `${name}.log`))}`);
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${last})` : ""}${logTail(logFile)}`);
    }
    await sleep(250);
  }
}

// ---------------------------------------------------------------- certificates

function openssl(args: string[], cwd: string): void {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

/** A P-256 key and a certificate signed by the CA, with the given extensions. */
function issue(pki: string, name: string, subject: string, extensions: string[]): void {
  writeFileSync(join(pki, `${name}.ext`), `${extensions.join("\n")}\n`);
  openssl(
    [
      "req",
      "-new",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.csr`,
      "-subj",
      subject,
    ],
    pki,
  );
  openssl(
    [
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-days",
      "30",
      "-out",
      `${name}.crt`,
      "-extfile",
      `${name}.ext`,
    ],
    pki,
  );
}

const CLIENT_CERTS = {
  admin: "/O=system:masters/CN=kube-admin",
  hydra: "/CN=hydra",
  "controller-manager": "/CN=system:kube-controller-manager",
  scheduler: "/CN=system:kube-scheduler",
  kwok: "/O=system:masters/CN=kwok",
} as const;
type ClientName = keyof typeof CLIENT_CERTS;

function makePki(pki: string): void {
  mkdirSync(pki, { recursive: true });
  openssl(
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      "ca.key",
      "-out",
      "ca.crt",
      "-days",
      "30",
      "-subj",
      "/CN=hydra-test-ca",
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    ],
    pki,
  );
  issue(pki, "apiserver", "/CN=kube-apiserver", [
    "basicConstraints=CA:FALSE",
    "keyUsage=critical,digitalSignature,keyEncipherment",
    "extendedKeyUsage=serverAuth",
    "subjectAltName=IP:127.0.0.1,DNS:localhost,IP:10.96.0.1,DNS:kubernetes.default.svc",
  ]);
  for (const [name, subject] of Object.entries(CLIENT_CERTS)) {
    issue(pki, name, subject, [
      "basicConstraints=CA:FALSE",
      "keyUsage=critical,digitalSignature,keyEncipherment",
      "extendedKeyUsage=clientAuth",
    ]);
  }
  openssl(["genrsa", "-out", "sa.key", "2048"], pki);
  openssl(["rsa", "-in", "sa.key", "-pubout", "-out", "sa.pub"], pki);
}

function kubeconfig(
  path: string,
  pki: string,
  entries: Array<{ context: string; server: string; user: ClientName }>,
): void {
  const users = [...new Set(entries.map((e) => e.user))];
  writeFileSync(
    path,
    stringify({
      apiVersion: "v1",
      kind: "Config",
      clusters: entries.map((e) => ({
        name: e.context,
        cluster: { server: e.server, "certificate-authority": join(pki, "ca.crt") },
      })),
      users: users.map((u) => ({
        name: u,
        user: { "client-certificate": join(pki, `${u}.crt`), "client-key": join(pki, `${u}.key`) },
      })),
      contexts: entries.map((e) => ({ name: e.context, context: { cluster: e.context, user: e.user } })),
      "current-context": entries[0]!.context,
    }),
    { mode: 0o600 },
  );
}

// ---------------------------------------------------------------- processes

function startProcess(bin: string, args: string[], logFile: string): ChildProcess {
  const out = openSync(logFile, "a");
  const child = spawn(bin, args, { detached: true, stdio: ["ignore", out, out] });
  closeSync(out);
  child.unref();
  if (child.pid === undefined) throw new Error(`cannot start ${bin}`);
  return child;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function stopPids(pids: number[]): Promise<void> {
  for (const pid of pids) if (alive(pid)) process.kill(pid, "SIGTERM");
  const deadline = Date.now() + 15_000;
  while (pids.some(alive) && Date.now() < deadline) await sleep(100);
  for (const pid of pids) if (alive(pid)) process.kill(pid, "SIGKILL");
}

// ---------------------------------------------------------------- start

function admissionConfig(path: string): void {
  // A hardened cluster's default: pods must pass "baseline"; "restricted" violations are warned about.
  writeFileSync(
    path,
    stringify({
      apiVersion: "apiserver.config.k8s.io/v1",
      kind: "AdmissionConfiguration",
      plugins: [
        {
          name: "PodSecurity",
          configuration: {
            apiVersion: "pod-security.admission.config.k8s.io/v1",
            kind: "PodSecurityConfiguration",
            defaults: {
              enforce: "baseline",
              "enforce-version": "latest",
              audit: "restricted",
              "audit-version": "latest",
              warn: "restricted",
              "warn-version": "latest",
            },
            exemptions: { usernames: [], runtimeClasses: [], namespaces: ["kube-system"] },
          },
        },
      ],
    }),
  );
}

async function startRegion(input: {
  bin: string;
  dir: string;
  pki: string;
  region: string;
  index: number;
  etcdUrl: string;
  deadline: number;
  /** Gets the region's entry before any process starts, so that a failed start stops what it started. */
  state: KubeState;
  save: () => void;
}): Promise<void> {
  const { bin, pki, region, index, deadline } = input;
  const dir = join(input.dir, region);
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const server = `https://127.0.0.1:${port}`;
  const pids: Record<string, number> = {};
  const adminKubeconfig = join(dir, "admin.kubeconfig");
  input.state.regions[region] = { server, context: `hydra@${region}`, adminKubeconfig, nodes: [], pids };
  const started = (name: string, child: ChildProcess) => {
    pids[name] = child.pid!;
    input.save();
  };
  const componentConfig = (user: ClientName) => {
    const path = join(dir, `${user}.kubeconfig`);
    kubeconfig(path, pki, [{ context: region, server, user }]);
    return path;
  };
  componentConfig("admin");

  const apiserverLog = join(dir, "kube-apiserver.log");
  started(
    "kube-apiserver",
    startProcess(
      join(bin, "kube-apiserver"),
      [
        `--etcd-servers=${input.etcdUrl}`,
        `--etcd-prefix=/registry-${region}`,
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        `--secure-port=${port}`,
        `--cert-dir=${join(dir, "apiserver-certs")}`,
        `--tls-cert-file=${join(pki, "apiserver.crt")}`,
        `--tls-private-key-file=${join(pki, "apiserver.key")}`,
        `--client-ca-file=${join(pki, "ca.crt")}`,
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        `--service-account-key-file=${join(pki, "sa.pub")}`,
        `--service-account-signing-key-file=${join(pki, "sa.key")}`,
        "--service-cluster-ip-range=10.96.0.0/16",
        "--authorization-mode=Node,RBAC",
        "--enable-admission-plugins=NodeRestriction",
        `--admission-control-config-file=${join(input.dir, "admission.yaml")}`,
        // The API server would publish 127.0.0.1 as the `kubernetes` Service's endpoint, which is invalid.
        "--endpoint-reconciler-type=none",
        "--profiling=false",
        "--v=1",
      ],
      apiserverLog,
    ),
  );
  await until(
    `${region}: kube-apiserver /readyz`,
    deadline,
    async () => {
      const r = await kubeRequest(input.state, region, "GET", "/readyz", undefined, { timeoutMs: 5_000 }).catch(
        (e: Error) => {
          if (!alive(pids["kube-apiserver"]!)) throw new Error(`kube-apiserver exited: ${e.message}`);
          throw e;
        },
      );
      return r.status === 200 ? true : undefined;
    },
    apiserverLog,
  );

  const authFlags = (config: string) => [
    `--kubeconfig=${config}`,
    `--authentication-kubeconfig=${config}`,
    `--authorization-kubeconfig=${config}`,
  ];
  started(
    "kube-controller-manager",
    startProcess(
      join(bin, "kube-controller-manager"),
      [
        ...authFlags(componentConfig("controller-manager")),
        "--bind-address=127.0.0.1",
        `--secure-port=${await freePort()}`,
        "--leader-elect=false",
        "--use-service-account-credentials=true",
        `--service-account-private-key-file=${join(pki, "sa.key")}`,
        `--root-ca-file=${join(pki, "ca.crt")}`,
        `--cluster-signing-cert-file=${join(pki, "ca.crt")}`,
        `--cluster-signing-key-file=${join(pki, "ca.key")}`,
        "--profiling=false",
        "--v=1",
      ],
      join(dir, "kube-controller-manager.log"),
    ),
  );
  started(
    "kube-scheduler",
    startProcess(
      join(bin, "kube-scheduler"),
      [
        ...authFlags(componentConfig("scheduler")),
        "--bind-address=127.0.0.1",
        `--secure-port=${await freePort()}`,
        "--leader-elect=false",
        "--profiling=false",
        "--v=1",
      ],
      join(dir, "kube-scheduler.log"),
    ),
  );
  started(
    "kwok",
    startProcess(
      join(bin, "kwok"),
      [
        `--kubeconfig=${componentConfig("kwok")}`,
        ...STAGES.map((file) => `--config=${file}`),
        "--manage-all-nodes=false",
        "--manage-nodes-with-label-selector=hydra.test/kwok=true",
        `--cidr=10.${100 + index}.0.1/16`,
        `--node-ip=10.${200 + index}.0.1`,
        `--server-address=127.0.0.1:${await freePort()}`,
        "--node-lease-duration-seconds=40",
      ],
      join(dir, "kwok.log"),
    ),
  );
}

/** After the components run: the fake nodes, Cilium's CRD, hydra's role; waits until pods can be scheduled and run. */
async function prepareRegion(state: KubeState, region: string, deadline: number): Promise<void> {
  const r = state.regions[region]!;
  const components = { pids: r.pids, dir: join(state.dir, region) };
  for (let i = 0; i < NODES_PER_REGION; i++) {
    const name = `kwok-${region}-${i}`;
    await kubeOk(state, region, "POST", "/api/v1/nodes", {
      apiVersion: "v1",
      kind: "Node",
      metadata: {
        name,
        labels: {
          "kubernetes.io/hostname": name,
          "kubernetes.io/os": "linux",
          "kubernetes.io/arch": "amd64",
          "topology.kubernetes.io/region": region,
          type: "kwok",
          "hydra.test/kwok": "true",
        },
        annotations: { "node.alpha.kubernetes.io/ttl": "0", "kwok.x-k8s.io/node": "fake" },
      },
      status: { capacity: NODE_ALLOCATABLE, allocatable: NODE_ALLOCATABLE },
    });
    r.nodes.push(name);
  }
  await applyManifests(state, region, CRD);
  await applyManifests(state, region, RBAC);
  await until(
    `${region}: nodes Ready (kwok)`,
    deadline,
    async () => {
      const nodes = await kubeOk<{
        items: Array<{ status?: { conditions?: Array<{ type: string; status: string }> } }>;
      }>(state, region, "GET", "/api/v1/nodes");
      const ready = nodes.items.filter((n) =>
        n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"),
      ).length;
      return ready === NODES_PER_REGION ? true : undefined;
    },
    join(state.dir, region, "kwok.log"),
    components,
  );
  await until(
    `${region}: the CiliumNetworkPolicy CRD established`,
    deadline,
    async () => {
      const r2 = await kubeRequest(state, region, "GET", "/apis/cilium.io/v2/ciliumnetworkpolicies");
      return r2.status === 200 ? true : undefined;
    },
    undefined,
    components,
  );
  // The service-account controller runs: namespaces get their `default` ServiceAccount, which pods need.
  await until(
    `${region}: the default ServiceAccount`,
    deadline,
    async () => {
      const sa = await kubeRequest(state, region, "GET", "/api/v1/namespaces/default/serviceaccounts/default");
      return sa.status === 200 ? true : undefined;
    },
    join(state.dir, region, "kube-controller-manager.log"),
    components,
  );
}

/** Server-side apply of every object in a YAML file, as the admin. */
export async function applyManifests(state: KubeState, region: string, file: string): Promise<void> {
  for (const doc of parseAllDocuments(readFileSync(file, "utf8"))) {
    const object = doc.toJS() as {
      apiVersion: string;
      kind: string;
      metadata: { name: string; namespace?: string };
    } | null;
    if (!object) continue;
    const [group, version] = object.apiVersion.includes("/") ? object.apiVersion.split("/") : ["", object.apiVersion];
    const plural = `${object.kind.toLowerCase()}s`.replace(/ys$/, "ies");
    const base = group ? `/apis/${group}/${version}` : `/api/${version}`;
    const ns = object.metadata.namespace ? `/namespaces/${object.metadata.namespace}` : "";
    await kubeOk(
      state,
      region,
      "PATCH",
      `${base}${ns}/${plural}/${object.metadata.name}?fieldManager=hydra-test-setup&force=true`,
      object,
      {
        contentType: "application/apply-patch+yaml",
      },
    );
  }
}

export async function start(): Promise<KubeState> {
  const started = Date.now();
  const dir = kubeDir();
  const bin = process.env.HYDRA_KUBE_BIN;
  if (!bin)
    throw new Error("HYDRA_KUBE_BIN is not set: run `bash test/kube/build.sh` and pass the directory it prints");
  for (const tool of ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok"]) {
    if (!existsSync(join(bin, tool))) throw new Error(`${join(bin, tool)} is missing: run bash test/kube/build.sh`);
  }
  if (existsSync(join(dir, "state.json"))) await stop();
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const deadline = started + Number(process.env.HYDRA_KUBE_START_TIMEOUT ?? 240) * 1000;
  const regions = (process.env.HYDRA_KUBE_REGIONS ?? "us-east,eu-west")
    .split(",")
    .map((r) => r.trim())
    .filter(Boolean);
  const pki = join(dir, "pki");
  makePki(pki);
  admissionConfig(join(dir, "admission.yaml"));

  const etcdPort = await freePort();
  const peerPort = await freePort();
  const etcdUrl = `http://127.0.0.1:${etcdPort}`;
  const etcdLog = join(dir, "etcd.log");
  const etcd = startProcess(
    join(bin, "etcd"),
    [
      "--name=hydra-test",
      `--data-dir=${join(dir, "etcd-data")}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-cluster=hydra-test=http://127.0.0.1:${peerPort}`,
      // A throwaway test store: no fsync (much faster on shared disks).
      "--unsafe-no-fsync",
      "--log-level=warn",
    ],
    etcdLog,
  );
  const state: KubeState = {
    bin,
    dir,
    pki: {
      ca: join(pki, "ca.crt"),
      adminCert: join(pki, "admin.crt"),
      adminKey: join(pki, "admin.key"),
      hydraCert: join(pki, "hydra.crt"),
      hydraKey: join(pki, "hydra.key"),
    },
    etcd: { url: etcdUrl, pid: etcd.pid! },
    regions: {},
    hydraKubeconfig: join(dir, "hydra.kubeconfig"),
    clustersPath: join(dir, "clusters.json"),
    startedAt: new Date(started).toISOString(),
    startSeconds: 0,
  };
  const save = () => writeFileSync(join(dir, "state.json"), `${JSON.stringify(state, null, 2)}\n`);
  save();
  try {
    await until(
      "etcd /health",
      deadline,
      async () => {
        const response = await fetch(`${etcdUrl}/health`);
        return response.ok ? true : undefined;
      },
      etcdLog,
    );
    log(`etcd ready (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    await Promise.all(
      regions.map(async (region, index) => {
        await startRegion({ bin, dir, pki, region, index, etcdUrl, deadline, state, save }).catch((error: Error) => {
          throw new Error(`${region}: ${error.message}`);
        });
      }),
    );
    log(`API servers ready (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    await Promise.all(regions.map((region) => prepareRegion(state, region, deadline)));
  } catch (error) {
    save();
    await stop();
    throw error;
  }
  kubeconfig(
    state.hydraKubeconfig,
    pki,
    regions.map((region) => ({
      context: `hydra@${region}`,
      server: state.regions[region]!.server,
      user: "hydra" as const,
    })),
  );
  writeFileSync(
    state.clustersPath,
    `${JSON.stringify(Object.fromEntries(regions.map((region) => [region, { kubeconfig: state.hydraKubeconfig, context: `hydra@${region}` }])), null, 2)}\n`,
  );
  writeFileSync(
    join(dir, "admin-clusters.json"),
    `${JSON.stringify(Object.fromEntries(regions.map((region) => [region, { kubeconfig: state.regions[region]!.adminKubeconfig, context: region }])), null, 2)}\n`,
  );
  state.startSeconds = Math.round((Date.now() - started) / 100) / 10;
  save();
  log(`ready in ${state.startSeconds} s: regions ${regions.join(", ")}; HYDRA_CLUSTERS=${state.clustersPath}`);
  return state;
}

export async function stop(): Promise<void> {
  let state: KubeState;
  try {
    state = readState();
  } catch {
    return;
  }
  const componentPids = Object.values(state.regions).flatMap((r) => Object.values(r.pids));
  await stopPids(componentPids);
  await stopPids([state.etcd.pid]);
  rmSync(join(state.dir, "state.json"), { force: true });
  log("stopped");
}

if (require.main === module) {
  const command = process.argv[2];
  const run =
    command === "start"
      ? start().then(() => undefined)
      : command === "stop"
        ? stop()
        : Promise.reject(new Error("usage: cluster.ts start|stop"));
  run.then(
    () => process.exit(0),
    (error: Error) => {
      log(`FAILED: ${error.message}`);
      process.exit(1);
    },
  );
}
