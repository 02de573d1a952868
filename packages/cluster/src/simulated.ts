/**
 * The `simulated` driver (SPEC §1): for local development, demos and benchmarks. It keeps the
 * manifests the kubernetes driver would apply (built by the same functions) in memory, applies
 * them with the same observable semantics (an unchanged apply keeps its resourceVersion, a
 * missing namespace is NotFound, invalid values are a terminal `Invalid` naming the field),
 * and makes each instance ready `readyMs` after it is created. With `statePath` it keeps its
 * objects in an append-only log (one line a change), so, like a real cluster, it outlives a
 * restart of deploy-svc, and a change costs the same at 10 or 10,000 deployments.
 *
 * With `serve` it is a small real cluster on one machine (LocalServing): each pod is an HTTP
 * server on its own loopback address 127.x.y.z (Linux routes all of 127/8 to lo), ready only
 * once listening; each environment's sentinel is a real nginx running the generated config on
 * an address of its own (its SentinelRef.externalAddress); Service names resolve through a
 * local DNS server per region to the ready pods (to an address that refuses connections when
 * there is none, as a ClusterIP without endpoints does).
 */
import { createHash, randomInt } from "node:crypto";
import { setMaxListeners } from "node:events";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
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
import { ClusterDeadlineError, ClusterError } from "./errors";
import {
  DEFAULT_PORT,
  type KubeObject,
  LABEL,
  namespaceManifest,
  networkPolicyManifest,
  sentinelManifests,
  sentinelRef,
  workloadManifests,
  workloadRef,
} from "./manifests";
import { CLUSTER_DOMAIN, workloadName } from "./names";
import { formatAddress } from "./pods";
import { type DeploymentSpecFields, invalid, validate } from "./local/api-validation";
import { logLocal } from "./local/log";
import { claimLoopbackBase, releaseLoopbackOctets } from "./local/loopback-claim";
import { LOCAL_SERVICE_PORT, LocalServing } from "./local/serving";
import { StateLog } from "./local/state-log";

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

/** A pod as logged: JSON has no Infinity, so a pod that will never be ready has readyAt null. */
type SavedPod = Omit<SimPod, "readyAt"> & { readyAt: number | null };

/** A region's counters: [resourceVersion, nextIp, nextPod]. */
type Counters = [number, number, number];

/** One line of the state log. */
type LogRecord =
  | { t: "base"; octet: number }
  | { t: "obj"; region: string; k: string; json: string; rv: string; c: Counters }
  | { t: "del"; region: string; k: string }
  | { t: "pods"; region: string; k: string; pods: SavedPod[]; c: Counters }
  | { t: "sentinel"; region: string; env: string; ip: string; namespace: string; port: number };

/** The whole-file state of earlier versions (one JSON object: region → everything). */
interface LegacyRegion {
  resourceVersion: number;
  nextIp: number;
  nextPod: number;
  objects: [string, { manifest: KubeObject; resourceVersion: string; json: string }][];
  pods: [string, SavedPod[]][];
}

interface SimRegion {
  name: string;
  index: number;
  mode: SimulatedMode;
  resourceVersion: number;
  objects: Map<string, { manifest: KubeObject; resourceVersion: string; json: string }>;
  pods: Map<string, SimPod[]>;
  nextIp: number;
  nextPod: number;
  /** environment id → its local sentinel (serving). */
  sentinels: Map<string, LocalSentinel>;
  changed: Set<() => void>;
}

interface LocalSentinel {
  ip: string;
  namespace: string;
  port: number;
}

const saved = (p: SimPod): SavedPod => ({ ...p, readyAt: Number.isFinite(p.readyAt) ? p.readyAt : null });
const restored = (p: SavedPod): SimPod => ({ ...p, readyAt: p.readyAt ?? Infinity });

const key = (kind: string, namespace: string | undefined, name: string) => `${kind}/${namespace ?? ""}/${name}`;

/** The 404 the API server answers for a missing object, e.g. `deployments.apps "web"`. */
function notFound(region: string | undefined, what: string): ClusterError {
  return new ClusterError(`region ${region}: ${what} not found`, {
    kind: "not_found",
    transient: false,
    region: region ?? "",
    status: 404,
    reason: "NotFound",
  });
}

/** A Deployment waited for is gone; `subject` names what it runs when not a deployment's workload. */
function deploymentNotFound(region: string, name: string, subject?: string): ClusterError {
  return notFound(region, `${subject ? `waiting for ${subject}: ` : ""}deployments.apps "${name}"`);
}

function aborted(region: string, what: string): ClusterError {
  return new ClusterError(`region ${region}: waiting for ${what} aborted`, {
    kind: "aborted",
    transient: true,
    region,
  });
}

/** Base octets of local clusters' loopback addresses: pods at base + region index, sentinels at + SENTINEL_OFFSET. */
const BASE_RANGE = { min: 16, max: 100 };
const SENTINEL_OFFSET = 64;

/** How often waitSentinel asks a local sentinel's health endpoint. */
const SENTINEL_POLL_MS = 100;

/** Instance servers and sentinels are only for Deployments of workloads, not the sentinel's own. */
const isWorkload = (manifest: KubeObject) => manifest.metadata.labels?.[LABEL.component] === "workload";

export class SimulatedDriver implements ClusterDriver {
  readonly kind = "simulated" as const;
  readonly readyMs: number;
  private readonly state = new Map<string, SimRegion>();
  private readonly closing = new AbortController();
  private readonly log: StateLog<LogRecord> | undefined;
  /** Second octet of this cluster's loopback addresses (pods: base + region index; sentinels: + 64). */
  private base: number;
  /** The loopback octets this serving cluster claimed (local/loopback-claim.ts). */
  private claimedOctets: number[] = [];
  private readonly serving: LocalServing | undefined;

  constructor(config: Omit<SimulatedDriverConfig, "kind"> = {}) {
    // Every wait in flight listens here and removes its listener when it ends: not a leak.
    setMaxListeners(0, this.closing.signal);
    this.readyMs = config.readyMs ?? 50;
    this.log = config.statePath ? new StateLog<LogRecord>(config.statePath) : undefined;
    this.base = randomInt(BASE_RANGE.min, BASE_RANGE.max);
    (config.regions ?? ["local"]).forEach((region, index) =>
      this.state.set(region, {
        name: region,
        index,
        mode: "ready",
        resourceVersion: 0,
        objects: new Map(),
        pods: new Map(),
        nextIp: 0,
        nextPod: 0,
        sentinels: new Map(),
        changed: new Set(),
      }),
    );
    const logged = this.load();
    if (config.serve) {
      const offsets = [...this.state.values()].flatMap((r) => [r.index, SENTINEL_OFFSET + r.index]);
      this.base = claimLoopbackBase(offsets, BASE_RANGE, logged ? this.base : undefined);
      this.claimedOctets = offsets.map((offset) => this.base + offset);
    }
    if (this.log && !logged) this.log.append({ t: "base", octet: this.base });
    if (config.serve) {
      const dir = config.statePath ? `${config.statePath}.d` : mkdtempSync(path.join(tmpdir(), "hydra-local-cluster-"));
      this.serving = new LocalServing({
        dir,
        resolve: (region) => (name) => this.resolve(region, name),
        activator: () => this.activator,
      });
      // Like a node coming back: the pods and sentinels the cluster holds run again.
      for (const state of this.state.values()) {
        for (const k of state.pods.keys()) void this.syncServers(state, k);
        for (const [environmentId, local] of state.sentinels) {
          this.startSentinel(state, environmentId, local).catch((error: Error) =>
            logLocal("error", "local sentinel did not start", {
              region: state.name,
              environmentId,
              error: error.message,
            }),
          );
        }
      }
    }
  }

  /** `host:port` of the activator sentinels send deployments without ready instances to (setActivator). */
  private activator: string | undefined;

  /**
   * Where sentinels hand requests for deployments without ready instances (wake on request):
   * running sentinels are reconfigured (nginx reload, no dropped connection).
   */
  async setActivator(address: string | undefined): Promise<void> {
    this.activator = address;
    await this.serving?.reconfigure();
  }

  /** Replays the state log (regions no longer configured are dropped); compacts it when mostly history. */
  /** Reads the state log; true when it named the base octet. */
  private load(): boolean {
    if (!this.log) return false;
    const records = this.log.read();
    const first = records[0] as Record<string, unknown> | undefined;
    if (first && !("t" in first)) {
      this.loadLegacy(first as Record<string, LegacyRegion>);
      this.compact();
      return false;
    }
    let logged = false;
    for (const record of records as LogRecord[]) {
      if (record.t === "base") {
        this.base = record.octet;
        logged = true;
        continue;
      }
      const state = this.state.get(record.region);
      if (!state) continue;
      if (record.t === "obj") {
        state.objects.set(record.k, {
          manifest: JSON.parse(record.json) as KubeObject,
          resourceVersion: record.rv,
          json: record.json,
        });
      } else if (record.t === "del") {
        state.objects.delete(record.k);
        state.pods.delete(record.k);
      } else if (record.t === "pods") {
        state.pods.set(record.k, record.pods.map(restored));
      } else {
        state.sentinels.set(record.env, { ip: record.ip, namespace: record.namespace, port: record.port });
      }
      if (record.t === "obj" || record.t === "pods") [state.resourceVersion, state.nextIp, state.nextPod] = record.c;
    }
    if (this.log.lines > 2 * this.liveRecords() + 100) this.compact();
    return logged;
  }

  private loadLegacy(saved: Record<string, LegacyRegion>): void {
    for (const [region, data] of Object.entries(saved)) {
      const state = this.state.get(region);
      if (!state) continue;
      state.resourceVersion = data.resourceVersion;
      state.nextIp = data.nextIp;
      state.nextPod = data.nextPod;
      state.objects = new Map(data.objects);
      state.pods = new Map(data.pods.map(([k, pods]) => [k, pods.map(restored)]));
    }
  }

  private liveRecords(): number {
    let n = 1;
    for (const state of this.state.values()) n += state.objects.size + state.pods.size + state.sentinels.size;
    return n;
  }

  /** Rewrites the log as the current state, one record per object. */
  private compact(): void {
    if (!this.log) return;
    const records: LogRecord[] = [{ t: "base", octet: this.base }];
    for (const state of this.state.values()) {
      const c = this.counters(state);
      for (const [k, o] of state.objects)
        records.push({ t: "obj", region: state.name, k, json: o.json, rv: o.resourceVersion, c });
      for (const [k, pods] of state.pods) records.push({ t: "pods", region: state.name, k, pods: pods.map(saved), c });
      for (const [env, s] of state.sentinels) records.push({ t: "sentinel", region: state.name, env, ...s });
    }
    this.log.rewrite(records);
  }

  private counters(state: SimRegion): Counters {
    return [state.resourceVersion, state.nextIp, state.nextPod];
  }

  /** Appends one change to the log (and compacts when history outweighs the state fourfold). */
  private persist(record: LogRecord): void {
    if (!this.log) return;
    this.log.append(record);
    if (this.log.lines > 4 * this.liveRecords() + 1000) this.compact();
  }

  private persistObject(state: SimRegion, k: string): void {
    const o = state.objects.get(k);
    if (o)
      this.persist({ t: "obj", region: state.name, k, json: o.json, rv: o.resourceVersion, c: this.counters(state) });
    else this.persist({ t: "del", region: state.name, k });
  }

  private persistPods(state: SimRegion, k: string): void {
    this.persist({
      t: "pods",
      region: state.name,
      k,
      pods: (state.pods.get(k) ?? []).map(saved),
      c: this.counters(state),
    });
  }

  regions(): string[] {
    return [...this.state.keys()].sort();
  }

  private region(region: string): SimRegion {
    const state = this.state.get(region);
    if (!state) {
      throw new ClusterError(`unknown region "${region}"; configured: ${this.regions().join(", ")}`, {
        kind: "unknown_region",
        transient: false,
        region,
      });
    }
    return state;
  }

  /** Test and demo control: what the region does with instances from now on. */
  setMode(region: string, mode: SimulatedMode): void {
    const state = this.region(region);
    state.mode = mode;
    const now = Date.now();
    for (const [k, pods] of state.pods) {
      let changed = false;
      for (const pod of pods) {
        if (mode === "ready" && pod.readyAt === Infinity) ((pod.readyAt = now + this.readyMs), (changed = true));
        if (mode !== "ready" && pod.readyAt > now) ((pod.readyAt = Infinity), (changed = true));
      }
      if (changed) {
        this.persistPods(state, k);
        void this.syncServers(state, k);
      }
    }
    this.notify(state);
  }

  /** The stored manifest of an object, as applied (for tests). */
  get(
    region: string,
    kind: string,
    namespace: string | undefined,
    name: string,
  ): (KubeObject & { resourceVersion: string }) | undefined {
    const entry = this.region(region).objects.get(key(kind, namespace, name));
    return entry ? { ...structuredClone(entry.manifest), resourceVersion: entry.resourceVersion } : undefined;
  }

  /** Wakes waiters after a change (the log was written where the change was made). */
  private notify(state: SimRegion): void {
    for (const wake of [...state.changed]) wake();
  }

  private apply(region: string, manifest: KubeObject): string {
    const state = this.region(region);
    if (this.closing.signal.aborted)
      throw new ClusterError(`region ${region}: the driver is closed`, { kind: "aborted", transient: true, region });
    const { namespace, name } = manifest.metadata;
    if (namespace !== undefined && !state.objects.has(key("Namespace", undefined, namespace))) {
      throw notFound(region, `namespaces "${namespace}"`);
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
        throw invalid(region, manifest, [
          { reason: "FieldValueInvalid", field: "spec.selector", message: "Invalid value: field is immutable" },
        ]);
      }
    }
    const resourceVersion = String(++state.resourceVersion);
    state.objects.set(k, { manifest: structuredClone(manifest), resourceVersion, json });
    this.persistObject(state, k);
    if (manifest.kind === "Deployment") {
      const spec = manifest.spec as DeploymentSpecFields;
      const templateChanged =
        existing &&
        JSON.stringify((existing.manifest.spec as DeploymentSpecFields).template) !== JSON.stringify(spec.template);
      if (templateChanged) state.pods.set(k, []);
      void this.reconcile(state, k, spec.replicas);
    }
    return resourceVersion;
  }

  /** A loopback address: `127.<second>.<n / 254 + 1>.<n % 254 + 1>`. */
  private loopback(second: number, n: number): string {
    return `127.${second}.${(Math.floor(n / 254) % 254) + 1}.${(n % 254) + 1}`;
  }

  /** Creates or removes pods to match `replicas`; resolves once removed pods stopped serving. */
  private reconcile(state: SimRegion, k: string, replicas: number): Promise<void> {
    const pods = state.pods.get(k) ?? [];
    const name = k.split("/")[2]!;
    const hash = createHash("sha256").update(state.objects.get(k)!.json).digest("hex").slice(0, 10);
    while (pods.length < replicas) {
      pods.push({
        name: `${name}-${hash}-${(state.nextPod++).toString(36).padStart(5, "0")}`,
        ip: this.loopback(this.base + state.index, state.nextIp++),
        readyAt: state.mode === "ready" ? Date.now() + this.readyMs : Infinity,
      });
    }
    pods.splice(replicas);
    state.pods.set(k, pods);
    this.persistPods(state, k);
    const stopped = this.syncServers(state, k);
    this.notify(state);
    return stopped;
  }

  /** Serving: each pod of a workload that can become ready runs its server; removed pods stop theirs. */
  private async syncServers(state: SimRegion, k: string): Promise<void> {
    const serving = this.serving;
    const object = state.objects.get(k);
    if (!serving || !object || !isWorkload(object.manifest)) return;
    const pods = state.pods.get(k) ?? [];
    const container = (object.manifest.spec as DeploymentSpecFields).template.spec.containers[0];
    const deployment = object.manifest.metadata.labels?.[LABEL.deploymentId] ?? "";
    const prefix = `${state.name}/${object.manifest.metadata.name}-`;
    const keep = new Set(pods.map((p) => `${state.name}/${p.name}`));
    const stops = serving
      .instanceIds(prefix)
      .filter((id) => !keep.has(id))
      .map((id) => serving.stopInstance(id));
    for (const pod of pods) {
      const id = `${state.name}/${pod.name}`;
      if (!Number.isFinite(pod.readyAt) || serving.hasInstance(id)) continue;
      const identity = { deployment, instance: id, region: state.name, image: String(container?.image ?? "") };
      void serving.startInstance(id, pod.ip, identity).then(() => this.notify(state));
    }
    await Promise.all(stops);
  }

  /** Whether a pod serves at `at`: ready by the clock and, when serving, its server listens. */
  private podReady(state: SimRegion, pod: SimPod, at: number): boolean {
    if (pod.readyAt > at) return false;
    if (!this.serving) return true;
    return this.serving.isListening(`${state.name}/${pod.name}`);
  }

  /**
   * Cluster DNS of a region: a Service name resolves to its ready pods' addresses, or to an
   * address nothing listens on when there are none (connections are refused, as with a
   * ClusterIP without endpoints); a sentinel's Service to the sentinel; anything else: no such name.
   */
  private resolve(region: string, name: string): string[] | null {
    const state = this.state.get(region);
    const match = new RegExp(`^([a-z0-9-]+)\\.([a-z0-9-]+)\\.svc\\.${CLUSTER_DOMAIN.replace(/\./g, "\\.")}$`).exec(
      name,
    );
    if (!state || !match) return null;
    const service = state.objects.get(key("Service", match[2], match[1]!));
    if (!service) return null;
    const labels = service.manifest.metadata.labels ?? {};
    if (labels[LABEL.component] === "sentinel") {
      const sentinel = state.sentinels.get(labels[LABEL.environmentId] ?? "");
      return sentinel ? [sentinel.ip] : [];
    }
    const now = Date.now();
    const pods = state.pods.get(key("Deployment", match[2], workloadName(labels[LABEL.deploymentId] ?? ""))) ?? [];
    const ready = pods.filter((p) => this.podReady(state, p, now)).map((p) => p.ip);
    return ready.length > 0 ? ready : [`127.${this.base + state.index}.0.1`];
  }

  /**
   * Test and demo control: the instance's server goes away at once (a crashed container); like
   * a kubelet, the pod is restarted and serves again `readyMs` later. Throws for an unknown id.
   */
  async killInstance(instanceId: string): Promise<void> {
    const [region, podName] = instanceId.split("/");
    const state = this.region(region ?? "");
    for (const [k, pods] of state.pods) {
      const pod = pods.find((p) => p.name === podName);
      if (!pod) continue;
      await this.serving?.stopInstance(instanceId);
      pod.readyAt = Date.now() + this.readyMs;
      this.persistPods(state, k);
      this.notify(state);
      setTimeout(() => void this.syncServers(state, k), this.readyMs).unref();
      return;
    }
    throw notFound(region, `pod ${podName}`);
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
      this.persistObject(state, k);
    }
  }

  async ensureSentinel(region: string, spec: SentinelSpec): Promise<SentinelRef> {
    const manifests = sentinelManifests(region, spec);
    this.apply(region, manifests.configMap);
    const deployment = this.apply(region, manifests.deployment);
    const service = this.apply(region, manifests.service);
    if (!this.serving) return { ...sentinelRef(spec), resourceVersion: { deployment, service } };
    const state = this.region(region);
    const port = spec.port ?? DEFAULT_PORT;
    let local = state.sentinels.get(spec.environmentId);
    if (!local || local.port !== port || local.namespace !== spec.namespace) {
      local = {
        ip: local?.ip ?? this.loopback(this.base + SENTINEL_OFFSET + state.index, state.sentinels.size),
        namespace: spec.namespace,
        port,
      };
      state.sentinels.set(spec.environmentId, local);
      this.persist({ t: "sentinel", region, env: spec.environmentId, ...local });
    }
    const ip = local.ip;
    try {
      await this.startSentinel(state, spec.environmentId, local);
    } catch (error) {
      throw new ClusterError(
        `region ${region}: the local sentinel of ${spec.environmentId} did not start: ${(error as Error).message}`,
        {
          kind: "service_unavailable",
          transient: true,
          region,
          cause: error,
        },
      );
    }
    return { ...sentinelRef(spec, `${ip}:${port}`), resourceVersion: { deployment, service } };
  }

  private startSentinel(state: SimRegion, environmentId: string, local: LocalSentinel): Promise<void> {
    return this.serving!.ensureSentinel({ region: state.name, environmentId, ...local }, new Date(Date.now() + 30_000));
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
        kind: "invalid",
        transient: false,
        region,
        causes: [{ reason: "FieldValueInvalid", field: "spec.replicas", message: `Invalid value: ${replicas}` }],
      });
    }
    if (!entry) {
      if (replicas === 0) return;
      throw notFound(region, `deployments.apps "${ref.name}"`);
    }
    const spec = entry.manifest.spec as { replicas: number };
    if (spec.replicas !== replicas) {
      spec.replicas = replicas;
      entry.json = JSON.stringify(entry.manifest);
      entry.resourceVersion = String(++state.resourceVersion);
      this.persistObject(state, k);
    }
    await this.reconcile(state, k, replicas);
  }

  async deleteWorkload(region: string, ref: WorkloadRef): Promise<void> {
    const state = this.region(region);
    const deploymentKey = key("Deployment", ref.namespace, ref.name);
    state.pods.set(deploymentKey, []);
    await this.syncServers(state, deploymentKey);
    for (const k of [
      deploymentKey,
      key("CiliumNetworkPolicy", ref.namespace, ref.name),
      key("Service", ref.namespace, ref.service),
    ]) {
      if (!state.objects.delete(k)) continue;
      this.persistObject(state, k);
    }
    state.pods.delete(deploymentKey);
    this.notify(state);
  }

  async waitReady(region: string, ref: WorkloadRef, minReady: number, opts: WaitReadyOptions): Promise<InstanceInfo[]> {
    return this.awaitPods(region, { namespace: ref.namespace, name: ref.name, port: ref.port }, minReady, opts);
  }

  /**
   * The sentinel's pods ready, as for waitReady; when serving, the one nginx standing for them
   * all is ready once it answers its health endpoint.
   */
  async waitSentinel(region: string, ref: SentinelRef, minReady: number, opts: WaitReadyOptions): Promise<void> {
    const subject = `sentinel ${ref.namespace}/${ref.name}`;
    if (!this.serving) {
      await this.awaitPods(
        region,
        { namespace: ref.namespace, name: ref.name, port: ref.port, subject },
        minReady,
        opts,
      );
      return;
    }
    const state = this.region(region);
    const environmentId = ref.selector[LABEL.environmentId] ?? "";
    for (;;) {
      if (!state.objects.has(key("Deployment", ref.namespace, ref.name)))
        throw deploymentNotFound(region, ref.name, subject);
      if (minReady <= 0 || (await this.serving.sentinelAnswers(region, environmentId))) return;
      if (opts.signal?.aborted || this.closing.signal.aborted) throw aborted(region, subject);
      if (Date.now() >= opts.deadline.getTime()) {
        throw new ClusterDeadlineError({
          region,
          subject,
          ready: 0,
          required: minReady,
          deadline: opts.deadline,
          problems: [`${minReady} × the local sentinel (nginx) does not answer its health endpoint`],
        });
      }
      await sleep(Math.min(SENTINEL_POLL_MS, Math.max(1, opts.deadline.getTime() - Date.now())), undefined, {
        signal: AbortSignal.any([this.closing.signal, ...(opts.signal ? [opts.signal] : [])]),
      }).catch(() => undefined);
    }
  }

  /** Resolves once `minReady` pods of the Deployment are ready (sorted by id). */
  private async awaitPods(
    region: string,
    ref: { namespace: string; name: string; port: number; subject?: string },
    minReady: number,
    opts: WaitReadyOptions,
  ): Promise<InstanceInfo[]> {
    const state = this.region(region);
    const k = key("Deployment", ref.namespace, ref.name);
    if (!state.objects.has(k)) throw deploymentNotFound(region, ref.name, ref.subject);
    const port = this.serving ? LOCAL_SERVICE_PORT : ref.port;
    const ready = (at: number) =>
      (state.pods.get(k) ?? [])
        .filter((pod) => this.podReady(state, pod, at))
        .map((pod): InstanceInfo => ({
          id: `${region}/${pod.name}`,
          address: formatAddress(pod.ip, port),
          region,
          status: "ready",
        }))
        .sort((a, b) => (a.id < b.id ? -1 : 1));
    for (;;) {
      // One timestamp for "who is ready" and "who is not yet": with two, a pod that turned
      // ready between them is in neither set and the wait sleeps to the deadline.
      const at = Date.now();
      const now = ready(at);
      if (now.length >= minReady || minReady <= 0) return now;
      if (opts.signal?.aborted || this.closing.signal.aborted)
        throw aborted(region, ref.subject ?? `${ref.namespace}/${ref.name}`);
      const left = opts.deadline.getTime() - Date.now();
      if (left <= 0) {
        const pods = state.pods.get(k) ?? [];
        const notReady = pods.length - now.length;
        const problem =
          state.mode === "crash-loop" ? "CrashLoopBackOff" : state.mode === "never-ready" ? "Unschedulable" : "Pending";
        const problems = [
          ...(notReady > 0 ? [`${notReady} × ${problem}`] : []),
          ...(pods.length < minReady ? [`${minReady - pods.length} × pods not created`] : []),
        ];
        throw new ClusterDeadlineError({
          region,
          ...(ref.subject ? { subject: ref.subject } : {}),
          ready: now.length,
          required: minReady,
          deadline: opts.deadline,
          problems,
        });
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

  /** Stops watches and, when serving, every instance server, sentinel and DNS server. */
  async close(): Promise<void> {
    this.closing.abort("closed");
    await this.serving?.close();
    releaseLoopbackOctets(this.claimedOctets);
  }

  /** The local sentinel process of an environment (serving; tests read its logs). */
  localSentinel(region: string, environmentId: string) {
    return this.serving?.sentinel(region, environmentId);
  }
}
