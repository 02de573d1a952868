/** Reading pods: readiness, instances, and why pods are not ready. */
import type { InstanceInfo } from "./driver";

/** The fields of a Kubernetes Pod that hydra reads. */
export interface Pod {
  metadata: { name: string; resourceVersion?: string; deletionTimestamp?: string };
  status?: {
    phase?: string;
    podIP?: string;
    conditions?: PodCondition[];
    initContainerStatuses?: ContainerStatus[];
    containerStatuses?: ContainerStatus[];
  };
}

interface PodCondition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

interface ContainerStatus {
  state?: {
    waiting?: { reason?: string; message?: string };
    terminated?: { reason?: string; exitCode?: number };
  };
}

/** Ready: the `Ready` condition is True, the pod has an IP, and it is not being deleted. */
export function isPodReady(pod: Pod): boolean {
  if (pod.metadata?.deletionTimestamp) return false;
  if (!pod.status?.podIP) return false;
  return (pod.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
}

export function formatAddress(ip: string, port: number): string {
  return ip.includes(":") ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** The instance a ready pod (see isPodReady: it has an IP) serves. */
export function instanceOf(region: string, pod: Pod, port: number): InstanceInfo {
  return {
    id: `${region}/${pod.metadata.name}`,
    address: formatAddress(pod.status?.podIP ?? "", port),
    region,
    status: "ready",
  };
}

/** Why one pod is not ready, in the words `kubectl get pods` would use: a reason and a detail. */
export function podProblem(pod: Pod): { reason: string; detail?: string } {
  if (pod.metadata?.deletionTimestamp) return { reason: "Terminating" };
  const statuses: ContainerStatus[] = [
    ...(pod.status?.initContainerStatuses ?? []),
    ...(pod.status?.containerStatuses ?? []),
  ];
  for (const s of statuses) {
    const waiting = s.state?.waiting;
    if (waiting?.reason && waiting.reason !== "ContainerCreating" && waiting.reason !== "PodInitializing") {
      return { reason: waiting.reason, detail: waiting.message };
    }
    const terminated = s.state?.terminated;
    if (terminated?.reason) return { reason: terminated.reason, detail: `exit code ${terminated.exitCode}` };
  }
  const conditions = pod.status?.conditions ?? [];
  const scheduled = conditions.find((c) => c.type === "PodScheduled");
  if (scheduled?.status === "False") return { reason: scheduled.reason ?? "Unschedulable", detail: scheduled.message };
  if (pod.status?.phase === "Running") return { reason: "readiness probe failing" };
  for (const s of statuses) {
    const reason = s.state?.waiting?.reason;
    if (reason) return { reason };
  }
  return { reason: pod.status?.phase ?? "Pending" };
}

/**
 * `["2 × CrashLoopBackOff (back-off 10s restarting failed container=app …)", "1 × pods not created"]`:
 * not-ready pods grouped by reason, most frequent first, with the detail of one of them.
 */
export function podProblems(pods: Pod[], required: number): string[] {
  const groups = new Map<string, { count: number; detail?: string }>();
  for (const pod of pods) {
    if (isPodReady(pod)) continue;
    const { reason, detail } = podProblem(pod);
    const group = groups.get(reason) ?? { count: 0, detail };
    group.count++;
    groups.set(reason, group);
  }
  const live = pods.filter((p) => !p.metadata?.deletionTimestamp).length;
  if (live < required) groups.set("pods not created", { count: required - live });
  return [...groups.entries()]
    .sort((a, b) => b[1].count - a[1].count || (a[0] < b[0] ? -1 : 1))
    .map(([reason, { count, detail }]) => `${count} × ${reason}${detail ? ` (${String(detail).slice(0, 160)})` : ""}`);
}
