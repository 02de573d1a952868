/**
 * The fake kubelet (with the bits of the deployment controller and scheduler it needs): turns
 * each Deployment into pods of its current template (name `<deployment>-<template hash>-<5>`,
 * label `pod-template-hash`, owned by a ReplicaSet of that name), deletes surplus and outdated
 * pods (deletionTimestamp first, gone shortly after), marks pods Running and Ready with a pod
 * IP after `readyDelayMs`, and keeps the Deployment's status current.
 *
 * Modes, for tests: `ready` (default); `unschedulable` (pods stay Pending: PodScheduled False,
 * Unschedulable); `not-ready` (Running, readiness probe failing). In every mode, a pod requesting more than the one node's
 * allocatable resources (4 CPUs, 16Gi memory) is Unschedulable, as on a real cluster.
 */
import { createHash, randomUUID } from "node:crypto";
import { parseQuantity } from "./schema";
import type { ApiServer, KubeJson, StoreEvent } from "./server";

interface ContainerJson {
  name: string;
  image: string;
  resources?: { requests?: Record<string, string | number>; limits?: Record<string, string | number> };
}

interface ConditionJson {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastProbeTime?: null;
  lastTransitionTime?: string;
  lastUpdateTime?: string;
}

/** A Pod as the kubelet reads and writes it (pods are namespaced; the server gives them a status). */
type PodJson = KubeJson & {
  metadata: { namespace: string };
  spec: { nodeName?: string; containers: ContainerJson[] };
  status: {
    phase?: string;
    qosClass?: string;
    hostIP?: string;
    hostIPs?: Array<{ ip: string }>;
    podIP?: string;
    podIPs?: Array<{ ip: string }>;
    startTime?: string;
    conditions?: ConditionJson[];
    containerStatuses?: Array<{ restartCount?: number; [key: string]: unknown }>;
  };
};

/** A Deployment as the deployment controller reads it. */
type DeploymentJson = KubeJson & {
  spec: {
    replicas?: number;
    template: { metadata?: { labels?: Record<string, string> }; spec: { containers?: ContainerJson[] } };
  };
  status?: { conditions?: ConditionJson[] };
};
export type KubeletMode = "ready" | "unschedulable" | "not-ready";

const CONTROLLER = "kube-controller-manager";
const KUBELET = "kubelet";
const SCHEDULER = "default-scheduler";
const ALPHABET = "bcdfghjklmnpqrstvwxz2456789";
const NODE_ALLOCATABLE: Record<string, string> = { cpu: "4", memory: "16Gi" };

const now = () => new Date().toISOString().replace(/\.\d+Z$/, "Z");

function templateHash(template: unknown): string {
  const digest = createHash("sha256").update(JSON.stringify(template)).digest();
  let out = "";
  for (let i = 0; i < 10; i++) out += ALPHABET[digest[i]! % ALPHABET.length];
  return out;
}

function suffix(): string {
  let out = "";
  for (let i = 0; i < 5; i++) out += ALPHABET[Math.floor(Math.random() * ALPHABET.length)];
  return out;
}

function podReady(pod: PodJson): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
}

function condition(type: string, state: boolean, reason?: string, message?: string): ConditionJson {
  return {
    type,
    status: state ? "True" : "False",
    lastProbeTime: null,
    lastTransitionTime: now(),
    ...(reason ? { reason } : {}),
    ...(message ? { message } : {}),
  };
}

export class FakeKubelet {
  private mode: KubeletMode = "ready";
  private readyDelayMs: number;
  private readonly terminationDelayMs = 50;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly pending = new Set<string>();
  private nextIp = 2;
  private stopped = false;

  constructor(
    private readonly server: ApiServer,
    options: { readyDelayMs: number },
  ) {
    this.readyDelayMs = options.readyDelayMs;
  }

  private getPod(namespace: string, name: string): PodJson | undefined {
    return this.server.get("pods", namespace, name) as PodJson | undefined;
  }

  private listPods(namespace?: string): PodJson[] {
    return this.server.list("pods", namespace) as PodJson[];
  }

  private writePod(
    namespace: string,
    name: string,
    mutate: (pod: PodJson) => void,
    manager: string,
    subresource?: "status",
  ): void {
    this.server.controllerWrite("pods", namespace, name, (o) => mutate(o as PodJson), manager, subresource);
  }

  settings(): { mode: KubeletMode; readyDelayMs: number } {
    return { mode: this.mode, readyDelayMs: this.readyDelayMs };
  }

  /** New settings apply to pods not yet ready and to new pods; `ready` also heals failing pods. */
  configure(input: { mode?: KubeletMode; readyDelayMs?: number }): void {
    if (input.readyDelayMs !== undefined) this.readyDelayMs = input.readyDelayMs;
    if (input.mode === undefined || input.mode === this.mode) return;
    if (!["ready", "unschedulable", "not-ready"].includes(input.mode))
      throw new Error(`unknown kubelet mode ${input.mode}`);
    this.mode = input.mode;
    for (const pod of this.listPods()) {
      if (pod.metadata.deletionTimestamp) continue;
      if (this.mode === "ready" && !podReady(pod))
        this.later(() => this.start(pod.metadata.namespace, pod.metadata.name));
      if (this.mode === "not-ready" && pod.spec.nodeName) this.start(pod.metadata.namespace, pod.metadata.name);
    }
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private later(fn: () => void, ms = this.readyDelayMs): void {
    if (this.stopped) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.stopped) fn();
    }, ms);
    this.timers.add(t);
  }

  /** Called by the server after every write. Reconciles asynchronously, as controllers do. */
  observe(event: StoreEvent): void {
    const ns = event.obj.metadata.namespace;
    if (event.def.resource === "deployments") this.schedule(ns!, event.obj.metadata.name);
    if (event.def.resource === "ciliumnetworkpolicies" && event.type !== "DELETED")
      this.judgePolicy(ns!, event.obj.metadata.name);
    if (event.def.resource === "pods") {
      const owner = this.ownerDeployment(event.obj);
      if (owner) this.schedule(ns!, owner);
    }
  }

  /** Plays Cilium: a policy it accepts gets the status condition Valid=True (a write of its own: the resourceVersion moves). */
  private judgePolicy(namespace: string, name: string): void {
    setImmediate(() => {
      if (this.stopped) return;
      this.server.controllerWrite(
        "ciliumnetworkpolicies",
        namespace,
        name,
        (p) => {
          const status = (p.status ?? {}) as { conditions?: Array<Record<string, string>> };
          if (status.conditions?.some((c) => c.type === "Valid")) return;
          status.conditions = [
            ...(status.conditions ?? []),
            {
              type: "Valid",
              status: "True",
              reason: "PolicyValidated",
              message: "Policy validation succeeded",
              lastTransitionTime: now(),
            },
          ];
          p.status = status;
        },
        "cilium-agent",
        "status",
      );
    });
  }

  private schedule(namespace: string, deployment: string): void {
    const key = `${namespace}/${deployment}`;
    if (this.pending.has(key) || this.stopped) return;
    this.pending.add(key);
    setImmediate(() => {
      this.pending.delete(key);
      if (!this.stopped) this.reconcile(namespace, deployment);
    });
  }

  private ownerDeployment(pod: KubeJson): string | undefined {
    const owner = pod.metadata.ownerReferences?.[0];
    const hash = pod.metadata.labels?.["pod-template-hash"];
    if (owner?.kind !== "ReplicaSet" || !hash || !String(owner.name).endsWith(`-${hash}`)) return undefined;
    return String(owner.name).slice(0, -(hash.length + 1));
  }

  private reconcile(namespace: string, name: string): void {
    const deployment = this.server.get("deployments", namespace, name) as DeploymentJson | undefined;
    const pods = this.listPods(namespace).filter((p) => this.ownerDeployment(p) === name);
    const live = pods.filter((p) => !p.metadata.deletionTimestamp);
    if (!deployment) {
      for (const pod of live) this.terminate(pod); // garbage collection of the dependents
      return;
    }
    const hash = templateHash(deployment.spec.template);
    const current = live.filter((p) => p.metadata.labels?.["pod-template-hash"] === hash);
    for (const pod of live) if (pod.metadata.labels?.["pod-template-hash"] !== hash) this.terminate(pod);
    const desired = deployment.spec.replicas ?? 1;
    for (let i = current.length; i < desired; i++) this.createPod(deployment, hash);
    if (current.length > desired) {
      const surplus = [...current]
        .sort(
          (a, b) =>
            Number(podReady(a)) - Number(podReady(b)) ||
            String(b.metadata.creationTimestamp).localeCompare(String(a.metadata.creationTimestamp)),
        )
        .slice(0, current.length - desired);
      for (const pod of surplus) this.terminate(pod);
    }
    this.updateStatus(namespace, name, hash);
  }

  private createPod(deployment: DeploymentJson, hash: string): void {
    const template = deployment.spec.template;
    const rsName = `${deployment.metadata.name}-${hash}`;
    const containers = template.spec.containers ?? [];
    const guaranteed = containers.every(
      (c) =>
        c.resources?.limits &&
        JSON.stringify(c.resources.limits) === JSON.stringify(c.resources.requests ?? c.resources.limits),
    );
    const pod = this.server.controllerCreate(
      "pods",
      {
        apiVersion: "v1",
        kind: "Pod",
        metadata: {
          name: `${rsName}-${suffix()}`,
          namespace: deployment.metadata.namespace,
          labels: { ...template.metadata?.labels, "pod-template-hash": hash },
          ownerReferences: [
            {
              apiVersion: "apps/v1",
              kind: "ReplicaSet",
              name: rsName,
              uid: createHash("sha256")
                .update(`${deployment.metadata.uid}/${hash}`)
                .digest("hex")
                .replace(/^(.{8})(.{4})(.{4})(.{4})(.{12}).*/, "$1-$2-$3-$4-$5"),
              controller: true,
              blockOwnerDeletion: true,
            },
          ],
        },
        spec: structuredClone(template.spec),
      },
      CONTROLLER,
    ) as PodJson;
    this.writePod(
      pod.metadata.namespace,
      pod.metadata.name,
      (p) => (p.status.qosClass = guaranteed ? "Guaranteed" : "Burstable"),
      KUBELET,
      "status",
    );
    this.bind(pod.metadata.namespace, pod.metadata.name);
  }

  /** The scheduler: bind to the node, or report the pod unschedulable. */
  private bind(namespace: string, name: string): void {
    const pod = this.getPod(namespace, name);
    const requested = (resource: string) =>
      (pod?.spec.containers ?? []).reduce(
        (sum, c) => sum + parseQuantity(c.resources?.requests?.[resource] ?? c.resources?.limits?.[resource] ?? 0),
        0,
      );
    const insufficient = Object.entries(NODE_ALLOCATABLE)
      .filter(([resource, capacity]) => requested(resource) > parseQuantity(capacity))
      .map(([resource]) => resource);
    if (this.mode === "unschedulable" || insufficient.length > 0) {
      const why = (insufficient.length > 0 ? insufficient : ["cpu"]).map((r) => `1 Insufficient ${r}`).join(", ");
      this.writePod(
        namespace,
        name,
        (p) => {
          p.status.phase = "Pending";
          p.status.conditions = [
            condition(
              "PodScheduled",
              false,
              "Unschedulable",
              `0/1 nodes are available: ${why}. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.`,
            ),
          ];
        },
        SCHEDULER,
        "status",
      );
      return;
    }
    this.writePod(namespace, name, (p) => (p.spec.nodeName = `standin-${this.server.region}`), SCHEDULER);
    this.writePod(
      namespace,
      name,
      (p) => {
        p.status.phase = "Pending";
        p.status.hostIP = "172.18.0.2";
        p.status.hostIPs = [{ ip: "172.18.0.2" }];
        p.status.startTime = now();
        p.status.conditions = [
          condition("PodReadyToStartContainers", false),
          condition("Initialized", true),
          condition(
            "Ready",
            false,
            "ContainersNotReady",
            `containers with unready status: [${p.spec.containers.map((c) => c.name).join(" ")}]`,
          ),
          condition(
            "ContainersReady",
            false,
            "ContainersNotReady",
            `containers with unready status: [${p.spec.containers.map((c) => c.name).join(" ")}]`,
          ),
          condition("PodScheduled", true),
        ];
        p.status.containerStatuses = p.spec.containers.map((c) => ({
          name: c.name,
          image: c.image,
          imageID: "",
          ready: false,
          restartCount: 0,
          started: false,
          state: { waiting: { reason: "ContainerCreating" } },
        }));
      },
      KUBELET,
      "status",
    );
    this.later(() => this.start(namespace, name));
  }

  /** The containers start: ready or not ready, by mode. */
  private start(namespace: string, name: string): void {
    const pod = this.getPod(namespace, name);
    if (!pod || pod.metadata.deletionTimestamp) return;
    if (!pod.spec.nodeName) {
      if (this.mode !== "unschedulable") this.bind(namespace, name);
      return;
    }
    const ready = this.mode === "ready";
    this.writePod(
      namespace,
      name,
      (p) => {
        p.status.phase = "Running";
        if (!p.status.podIP) {
          const n = this.nextIp++;
          p.status.podIP = `10.${244 + (this.server.index % 12)}.${Math.floor(n / 250) % 250}.${(n % 250) + 2}`;
          p.status.podIPs = [{ ip: p.status.podIP }];
        }
        const unready = `containers with unready status: [${p.spec.containers.map((c) => c.name).join(" ")}]`;
        const set = (type: string, value: boolean, reason?: string, message?: string) => {
          const old = p.status.conditions!.find((c) => c.type === type);
          const next = condition(type, value, reason, message);
          if (old && old.status === next.status) next.lastTransitionTime = old.lastTransitionTime;
          p.status.conditions = p.status.conditions!.map((c) => (c.type === type ? next : c));
        };
        set("PodReadyToStartContainers", true);
        set("Ready", ready, ready ? undefined : "ContainersNotReady", ready ? undefined : unready);
        set("ContainersReady", ready, ready ? undefined : "ContainersNotReady", ready ? undefined : unready);
        p.status.containerStatuses = p.spec.containers.map((c, i) => {
          return {
            name: c.name,
            image: c.image,
            imageID: `docker.io/library/${c.image}@sha256:${createHash("sha256").update(c.image).digest("hex")}`,
            containerID: `containerd://${randomUUID().replace(/-/g, "")}`,
            ready,
            restartCount: p.status.containerStatuses?.[i]?.restartCount ?? 0,
            started: true,
            state: { running: { startedAt: now() } },
          };
        });
      },
      KUBELET,
      "status",
    );
  }

  private terminate(pod: PodJson): void {
    const { namespace, name } = pod.metadata;
    this.writePod(
      namespace,
      name,
      (p) => {
        p.metadata.deletionTimestamp = new Date(Date.now() + 30_000).toISOString().replace(/\.\d+Z$/, "Z");
        p.metadata.deletionGracePeriodSeconds = 30;
      },
      CONTROLLER,
    );
    this.later(() => this.server.controllerDelete("pods", namespace, name), this.terminationDelayMs);
  }

  private updateStatus(namespace: string, name: string, hash: string): void {
    const deployment = this.server.get("deployments", namespace, name) as DeploymentJson | undefined;
    if (!deployment) return;
    const pods = this.listPods(namespace).filter(
      (p) => this.ownerDeployment(p) === name && !p.metadata.deletionTimestamp,
    );
    const updated = pods.filter((p) => p.metadata.labels?.["pod-template-hash"] === hash);
    const ready = pods.filter(podReady).length;
    const desired = deployment.spec.replicas ?? 1;
    const rs = `${name}-${hash}`;
    const available = ready >= desired;
    const complete = available && updated.length === desired && pods.length === desired;
    const conditions: ConditionJson[] = [
      available
        ? {
            type: "Available",
            status: "True",
            reason: "MinimumReplicasAvailable",
            message: "Deployment has minimum availability.",
          }
        : {
            type: "Available",
            status: "False",
            reason: "MinimumReplicasUnavailable",
            message: "Deployment does not have minimum availability.",
          },
      complete
        ? {
            type: "Progressing",
            status: "True",
            reason: "NewReplicaSetAvailable",
            message: `ReplicaSet "${rs}" has successfully progressed.`,
          }
        : {
            type: "Progressing",
            status: "True",
            reason: "ReplicaSetUpdated",
            message: `ReplicaSet "${rs}" is progressing.`,
          },
    ];
    const status = {
      observedGeneration: deployment.metadata.generation,
      ...(pods.length ? { replicas: pods.length } : {}),
      ...(updated.length ? { updatedReplicas: updated.length } : {}),
      ...(ready ? { readyReplicas: ready, availableReplicas: ready } : {}),
      ...(desired - ready > 0 ? { unavailableReplicas: desired - ready } : {}),
      conditions,
    };
    this.server.controllerWrite(
      "deployments",
      namespace,
      name,
      (d) => {
        const old = (d as DeploymentJson).status?.conditions ?? [];
        for (const c of conditions) {
          const prev = old.find((o) => o.type === c.type);
          const same = prev && prev.status === c.status && prev.reason === c.reason && prev.message === c.message;
          c.lastUpdateTime = same ? prev.lastUpdateTime : now();
          c.lastTransitionTime = prev && prev.status === c.status ? prev.lastTransitionTime : now();
        }
        d.status = status;
      },
      CONTROLLER,
      "status",
    );
  }
}
