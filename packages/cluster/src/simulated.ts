/**
 * The `simulated` driver (SPEC §1): for local development, demos and benchmarks. It keeps the
 * manifests the kubernetes driver would apply (built by the same functions) in memory, applies
 * them with the same observable semantics (an unchanged apply keeps its resourceVersion, a
 * missing namespace is NotFound, invalid values are a terminal `Invalid` naming the field),
 * and makes each instance ready `readyMs` after it is created. With `statePath` it keeps its
 * objects in a file, so, like a real cluster, it outlives a restart of deploy-svc.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import type { SimulatedDriverConfig } from "./config";
import type {
  AppliedWorkload,
  ClusterDriver,
  InstanceInfo,
  NetworkPolicyRef,
  NetworkPolicySpec,
  SentinelRef,
  SentinelSpec,
  WaitReadyOptions,
  WorkloadRef,
  WorkloadSpec,
} from "./driver";
import { ClusterDeadlineError, ClusterError, type StatusCause } from "./errors";
import {
  type KubeObject,
  namespaceManifest,
  networkPolicyManifest,
  sentinelManifests,
  sentinelRef,
  workloadManifests,
  workloadRef,
} from "./manifests";
import { isDns1035Label, isDns1123Label, isDns1123Subdomain } from "./names";
import { formatAddress } from "./pods";

/** What a simulated region does with new instances. */
export type SimulatedMode =
  /** Ready `readyMs` after creation. */
  | "ready"
  /** Never ready: pods stay Pending (unschedulable). */
  | "never-ready"
  /** Never ready: containers keep crashing. */
  | "crash-loop";

interface SimPod {
  name: string;
  ip: string;
  readyAt: number;
}

interface SavedRegion {
  resourceVersion: number;
  nextIp: number;
  nextPod: number;
  objects: [string, { manifest: KubeObject; resourceVersion: string; json: string }][];
  pods: [string, (Omit<SimPod, "readyAt"> & { readyAt: number | null })[]][];
}

interface SimRegion {
  index: number;
  mode: SimulatedMode;
  resourceVersion: number;
  objects: Map<string, { manifest: KubeObject; resourceVersion: string; json: string }>;
  pods: Map<string, SimPod[]>;
  nextIp: number;
  nextPod: number;
  changed: Set<() => void>;
}

const key = (kind: string, namespace: string | undefined, name: string) => `${kind}/${namespace ?? ""}/${name}`;
const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)(([KMGTPE]i)|[numkMGTPE]|([eE][+-]?\d+))?$/;
const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

function invalid(region: string, object: KubeObject, causes: StatusCause[]): ClusterError {
  const group = object.apiVersion.includes("/") ? `.${object.apiVersion.split("/")[0]}` : "";
  const detail = causes.map((c) => `${c.field}: ${c.message}`);
  const message = `${object.kind}${group} "${object.metadata.name}" is invalid: ${detail.length === 1 ? detail[0] : `[${detail.join(", ")}]`}`;
  return new ClusterError(`region ${region}: ${message}`, { code: "Invalid", transient: false, region, status: 422, reason: "Invalid", causes });
}

/** The fields of a Deployment's spec (as manifests.ts builds it) that the simulation reads. */
interface DeploymentSpecFields {
  replicas: number;
  selector: unknown;
  template: { spec: { containers: ContainerFields[] } };
}

interface ContainerFields {
  image?: unknown;
  ports?: Array<{ containerPort?: unknown }>;
  env?: Array<{ name: string }>;
  resources?: Partial<Record<"requests" | "limits", Record<string, string>>>;
}

interface ServiceSpecFields {
  ports: Array<{ port?: unknown }>;
}

/** The checks of the API server that hydra's inputs can fail (names, ports, replicas, quantities, env). */
function validate(object: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const bad = (field: string, value: unknown, why: string) =>
    causes.push({ reason: "FieldValueInvalid", field, message: `Invalid value: ${JSON.stringify(value)}: ${why}` });
  const name = object.metadata.name;
  const nameOk = object.kind === "Namespace" ? isDns1123Label(name) : object.kind === "Service" ? isDns1035Label(name) : isDns1123Subdomain(name);
  if (!nameOk) bad("metadata.name", name, "must be a valid DNS name");
  const checkPort = (field: string, port: unknown) => {
    if (!Number.isInteger(port) || (port as number) < 1 || (port as number) > 65535) bad(field, port, "must be between 1 and 65535, inclusive");
  };
  if (object.kind === "Deployment" && object.spec) {
    const spec = object.spec as DeploymentSpecFields;
    if (!Number.isInteger(spec.replicas) || spec.replicas < 0) bad("spec.replicas", spec.replicas, "must be greater than or equal to 0");
    spec.template.spec.containers.forEach((c, i) => {
      const at = `spec.template.spec.containers[${i}]`;
      if (typeof c.image !== "string" || c.image.trim() === "") causes.push({ reason: "FieldValueRequired", field: `${at}.image`, message: "Required value" });
      else if (c.image !== c.image.trim()) bad(`${at}.image`, c.image, "must not have leading or trailing whitespace");
      (c.ports ?? []).forEach((p, j) => checkPort(`${at}.ports[${j}].containerPort`, p.containerPort));
      (c.env ?? []).forEach((e, j) => {
        if (!ENV_NAME.test(e.name)) bad(`${at}.env[${j}].name`, e.name, "a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit");
      });
      for (const kind of ["requests", "limits"] as const) {
        for (const [resource, value] of Object.entries(c.resources?.[kind] ?? {})) {
          if (!QUANTITY.test(String(value))) bad(`${at}.resources.${kind}[${resource}]`, value, "must match the regex ^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$");
        }
      }
    });
  }
  if (object.kind === "Service" && object.spec) {
    (object.spec as ServiceSpecFields).ports.forEach((p, i) => checkPort(`spec.ports[${i}].port`, p.port));
  }
  return causes;
}

export class SimulatedDriver implements ClusterDriver {
  readonly kind = "simulated" as const;
  readonly readyMs: number;
  private readonly state = new Map<string, SimRegion>();
  private readonly closing = new AbortController();
  private readonly statePath: string | undefined;

  constructor(config: Omit<SimulatedDriverConfig, "kind"> = {}) {
    this.readyMs = config.readyMs ?? 50;
    this.statePath = config.statePath;
    (config.regions ?? ["local"]).forEach((region, index) =>
      this.state.set(region, { index, mode: "ready", resourceVersion: 0, objects: new Map(), pods: new Map(), nextIp: 2, nextPod: 0, changed: new Set() }),
    );
    this.load();
  }

  /** Restores the regions saved in `statePath` (regions no longer configured are dropped). */
  private load(): void {
    if (!this.statePath || !existsSync(this.statePath)) return;
    const saved = JSON.parse(readFileSync(this.statePath, "utf8")) as Record<string, SavedRegion>;
    for (const [region, data] of Object.entries(saved)) {
      const state = this.state.get(region);
      if (!state) continue;
      state.resourceVersion = data.resourceVersion;
      state.nextIp = data.nextIp;
      state.nextPod = data.nextPod;
      state.objects = new Map(data.objects);
      // JSON has no Infinity: a pod that will never be ready was saved with readyAt null.
      state.pods = new Map(data.pods.map(([k, pods]) => [k, pods.map((p) => ({ ...p, readyAt: p.readyAt ?? Infinity }))]));
    }
  }

  /** Writes every region to `statePath` (atomically: a crash mid-write keeps the old file). */
  private save(): void {
    if (!this.statePath) return;
    const data: Record<string, SavedRegion> = {};
    for (const [region, state] of this.state) {
      data[region] = {
        resourceVersion: state.resourceVersion,
        nextIp: state.nextIp,
        nextPod: state.nextPod,
        objects: [...state.objects],
        pods: [...state.pods].map(([k, pods]) => [k, pods.map((p) => ({ ...p, readyAt: Number.isFinite(p.readyAt) ? p.readyAt : null }))]),
      };
    }
    mkdirSync(dirname(this.statePath), { recursive: true });
    const tmp = `${this.statePath}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(data));
    renameSync(tmp, this.statePath);
  }

  regions(): string[] {
    return [...this.state.keys()].sort();
  }

  private region(region: string): SimRegion {
    const state = this.state.get(region);
    if (!state) {
      throw new ClusterError(`unknown region "${region}"; configured: ${this.regions().join(", ")}`, { code: "UnknownRegion", transient: false, region });
    }
    return state;
  }

  /** Test and demo control: what the region does with instances from now on. */
  setMode(region: string, mode: SimulatedMode): void {
    const state = this.region(region);
    state.mode = mode;
    const now = Date.now();
    for (const pods of state.pods.values()) {
      for (const pod of pods) {
        if (mode === "ready" && pod.readyAt === Infinity) pod.readyAt = now + this.readyMs;
        if (mode !== "ready" && pod.readyAt > now) pod.readyAt = Infinity;
      }
    }
    this.notify(state);
  }

  /** The stored manifest of an object, as applied (for tests). */
  get(region: string, kind: string, namespace: string | undefined, name: string): (KubeObject & { resourceVersion: string }) | undefined {
    const entry = this.region(region).objects.get(key(kind, namespace, name));
    return entry ? { ...structuredClone(entry.manifest), resourceVersion: entry.resourceVersion } : undefined;
  }

  /** After every change: wake waiters, and keep the file (if any) current. */
  private notify(state: SimRegion): void {
    this.save();
    for (const wake of [...state.changed]) wake();
  }

  private apply(region: string, manifest: KubeObject): string {
    const state = this.region(region);
    if (this.closing.signal.aborted) throw new ClusterError(`region ${region}: the driver is closed`, { code: "Aborted", transient: true, region });
    const { namespace, name } = manifest.metadata;
    if (namespace !== undefined && !state.objects.has(key("Namespace", undefined, namespace))) {
      throw new ClusterError(`region ${region}: namespaces "${namespace}" not found`, { code: "NotFound", transient: false, region, status: 404, reason: "NotFound" });
    }
    const causes = validate(manifest);
    if (causes.length > 0) throw invalid(region, manifest, causes);
    const k = key(manifest.kind, namespace, name);
    const json = JSON.stringify(manifest);
    const existing = state.objects.get(k);
    if (existing?.json === json) return existing.resourceVersion; // unchanged: no write
    if (existing && manifest.kind === "Deployment") {
      const before = JSON.stringify((existing.manifest.spec as DeploymentSpecFields).selector);
      if (before !== JSON.stringify((manifest.spec as DeploymentSpecFields).selector)) {
        throw invalid(region, manifest, [{ reason: "FieldValueInvalid", field: "spec.selector", message: "Invalid value: field is immutable" }]);
      }
    }
    const resourceVersion = String(++state.resourceVersion);
    state.objects.set(k, { manifest: structuredClone(manifest), resourceVersion, json });
    if (manifest.kind === "Deployment") {
      const spec = manifest.spec as DeploymentSpecFields;
      const templateChanged = existing && JSON.stringify((existing.manifest.spec as DeploymentSpecFields).template) !== JSON.stringify(spec.template);
      if (templateChanged) state.pods.set(k, []);
      this.reconcile(state, k, spec.replicas);
    } else {
      this.save();
    }
    return resourceVersion;
  }

  private reconcile(state: SimRegion, k: string, replicas: number): void {
    const pods = state.pods.get(k) ?? [];
    const name = k.split("/")[2]!;
    const hash = createHash("sha256").update(state.objects.get(k)!.json).digest("hex").slice(0, 10);
    while (pods.length < replicas) {
      const n = state.nextIp++;
      pods.push({
        name: `${name}-${hash}-${(state.nextPod++).toString(36).padStart(5, "0")}`,
        ip: `10.${244 + (state.index % 12)}.${Math.floor(n / 250) % 250}.${(n % 250) + 2}`,
        readyAt: state.mode === "ready" ? Date.now() + this.readyMs : Infinity,
      });
    }
    pods.splice(replicas);
    state.pods.set(k, pods);
    this.notify(state);
  }

  async ensureNamespace(region: string, namespace: string, labels?: Record<string, string>): Promise<void> {
    const manifest = namespaceManifest(namespace, labels);
    const causes = validate(manifest);
    if (causes.length > 0) throw invalid(region, manifest, causes);
    const state = this.region(region);
    const k = key("Namespace", undefined, namespace);
    const json = JSON.stringify(manifest);
    if (state.objects.get(k)?.json !== json) {
      state.objects.set(k, { manifest, json, resourceVersion: String(++state.resourceVersion) });
      this.save();
    }
  }

  async ensureSentinel(region: string, spec: SentinelSpec): Promise<SentinelRef> {
    const manifests = sentinelManifests(region, spec);
    this.apply(region, manifests.configMap);
    const deployment = this.apply(region, manifests.deployment);
    const service = this.apply(region, manifests.service);
    return {
      ...sentinelRef(spec),
      resourceVersion: { deployment, service },
    };
  }

  async ensureNetworkPolicy(region: string, spec: NetworkPolicySpec): Promise<NetworkPolicyRef> {
    const manifest = networkPolicyManifest(spec);
    return { namespace: spec.namespace, name: manifest.metadata.name, resourceVersion: this.apply(region, manifest) };
  }

  async applyWorkload(region: string, spec: WorkloadSpec): Promise<AppliedWorkload> {
    const manifests = workloadManifests(region, spec);
    const deployment = this.apply(region, manifests.deployment);
    const service = this.apply(region, manifests.service);
    return {
      ...workloadRef(spec),
      resourceVersion: { deployment, service },
    };
  }

  async scale(region: string, ref: WorkloadRef, replicas: number): Promise<void> {
    const state = this.region(region);
    const k = key("Deployment", ref.namespace, ref.name);
    const entry = state.objects.get(k);
    if (!Number.isInteger(replicas) || replicas < 0) {
      throw new ClusterError(`region ${region}: replicas must be an integer ≥ 0, not ${replicas}`, {
        code: "Invalid",
        transient: false,
        region,
        causes: [{ reason: "FieldValueInvalid", field: "spec.replicas", message: `Invalid value: ${replicas}` }],
      });
    }
    if (!entry) {
      if (replicas === 0) return;
      throw new ClusterError(`region ${region}: deployments.apps "${ref.name}" not found`, { code: "NotFound", transient: false, region, status: 404, reason: "NotFound" });
    }
    const spec = entry.manifest.spec as { replicas: number };
    if (spec.replicas !== replicas) {
      spec.replicas = replicas;
      entry.json = JSON.stringify(entry.manifest);
      entry.resourceVersion = String(++state.resourceVersion);
    }
    this.reconcile(state, k, replicas);
  }

  async deleteWorkload(region: string, ref: WorkloadRef): Promise<void> {
    const state = this.region(region);
    for (const kind of ["Deployment", "CiliumNetworkPolicy"]) state.objects.delete(key(kind, ref.namespace, ref.name));
    state.objects.delete(key("Service", ref.namespace, ref.service));
    state.pods.delete(key("Deployment", ref.namespace, ref.name));
    this.notify(state);
  }

  async waitReady(region: string, ref: WorkloadRef, minReady: number, opts: WaitReadyOptions): Promise<InstanceInfo[]> {
    const state = this.region(region);
    const k = key("Deployment", ref.namespace, ref.name);
    if (!state.objects.has(k)) {
      throw new ClusterError(`region ${region}: deployments.apps "${ref.name}" not found`, { code: "NotFound", transient: false, region, status: 404, reason: "NotFound" });
    }
    const ready = (at: number) =>
      (state.pods.get(k) ?? [])
        .filter((pod) => pod.readyAt <= at)
        .map((pod): InstanceInfo => ({ id: `${region}/${pod.name}`, address: formatAddress(pod.ip, ref.port), region, status: "ready" }))
        .sort((a, b) => (a.id < b.id ? -1 : 1));
    for (;;) {
      // One timestamp for "who is ready" and "who is not yet": with two, a pod that turned
      // ready between them is in neither set and the wait sleeps to the deadline.
      const at = Date.now();
      const now = ready(at);
      if (now.length >= minReady || minReady <= 0) return now;
      if (opts.signal?.aborted || this.closing.signal.aborted) {
        throw new ClusterError(`region ${region}: waiting for ${ref.namespace}/${ref.name} aborted`, { code: "Aborted", transient: true, region });
      }
      const left = opts.deadline.getTime() - Date.now();
      if (left <= 0) {
        const pods = state.pods.get(k) ?? [];
        const notReady = pods.length - now.length;
        const problem = state.mode === "crash-loop" ? "CrashLoopBackOff" : state.mode === "never-ready" ? "Unschedulable" : "Pending";
        const problems = [
          ...(notReady > 0 ? [`${notReady} × ${problem}`] : []),
          ...(pods.length < minReady ? [`${minReady - pods.length} × pods not created`] : []),
        ];
        throw new ClusterDeadlineError({ region, ready: now.length, required: minReady, deadline: opts.deadline, problems });
      }
      const pending = (state.pods.get(k) ?? []).filter((p) => p.readyAt > at).map((p) => p.readyAt - at);
      const next = Math.min(left, ...pending);
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          state.changed.delete(wake);
          opts.signal?.removeEventListener("abort", wake);
          this.closing.signal.removeEventListener("abort", wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(2 ** 31 - 1, Math.max(1, next)));
        state.changed.add(wake);
        opts.signal?.addEventListener("abort", wake, { once: true });
        this.closing.signal.addEventListener("abort", wake, { once: true });
      });
    }
  }

  async close(): Promise<void> {
    this.closing.abort("closed");
  }
}
