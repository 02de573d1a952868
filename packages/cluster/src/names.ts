import { createHash } from "node:crypto";

/**
 * Deterministic Kubernetes names from hydra ids.
 *
 * hydra ids are TypeIDs (`dep_01jc5x…`): lower-case already, but `_` is not allowed in DNS
 * names. Every name here is a pure function of its id, so a retried or replayed step computes
 * the same name and server-side apply makes the retry a no-op.
 *
 * - DNS-1123 label (namespaces, Service names, container names): `[a-z0-9]([-a-z0-9]*[a-z0-9])?`,
 *   at most 63 characters.
 * - Service names must also be DNS-1035 labels (start with a letter); every name built here
 *   starts with a letter.
 */

export const DNS1123_LABEL_MAX = 63;
export const DNS1123_SUBDOMAIN_MAX = 253;

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

export function isDns1123Label(value: string): boolean {
  return value.length <= DNS1123_LABEL_MAX && DNS1123_LABEL.test(value);
}

export function isDns1035Label(value: string): boolean {
  return value.length <= DNS1123_LABEL_MAX && DNS1035_LABEL.test(value);
}

export function isDns1123Subdomain(value: string): boolean {
  return value.length <= DNS1123_SUBDOMAIN_MAX && DNS1123_SUBDOMAIN.test(value);
}

/**
 * A DNS-1035 label (hence also DNS-1123) derived deterministically from `value`.
 *
 * Lower-cases, turns every character outside `[a-z0-9-]` (such as TypeID's `_`) into `-` and
 * trims `-` at both ends. A value that does not start with a letter gets the prefix `x-`. A
 * result longer than 63 characters keeps its first 54 characters and ends in `-` plus 8 hex
 * digits of the SHA-256 of the original value, so distinct long values stay distinct.
 * For a TypeID the mapping is just `_` → `-` and is injective.
 */
export function toDnsLabel(value: string): string {
  if (value.length === 0) throw new Error("cannot derive a DNS label from an empty value");
  let label = value
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .replace(/^-+|-+$/g, "");
  if (!/^[a-z]/.test(label)) label = `x-${label}`.replace(/-+$/, "");
  if (label.length > DNS1123_LABEL_MAX) {
    const digest = createHash("sha256").update(value).digest("hex").slice(0, 8);
    label = `${label.slice(0, DNS1123_LABEL_MAX - 9).replace(/-+$/, "")}-${digest}`;
  }
  return label;
}

/** The namespace of a workspace in every region: `ws_01jc…` → `ws-01jc…`. */
export function namespaceName(workspaceId: string): string {
  return toDnsLabel(workspaceId);
}

/**
 * The name of a deployment's Deployment and CiliumNetworkPolicy (`kubectl get deploy,cnp
 * dep-01jc…` shows both): `dep_01jc…` → `dep-01jc…`. Its Service: deploymentServiceName.
 */
export function workloadName(deploymentId: string): string {
  return toDnsLabel(deploymentId);
}

/**
 * The name of a deployment's Service: its id and its environment's, `dep-01jc…-env-01jd…` (61
 * characters for TypeIDs). An environment's sentinel builds it from the deployment id it is
 * asked for and its own environment id, so it can only ever name its own environment's
 * deployments: another environment's id names no Service (NXDOMAIN), and the sentinel says 404.
 */
export function deploymentServiceName(deploymentId: string, environmentId: string): string {
  return toDnsLabel(`${deploymentId}-${environmentId}`);
}

/** The name of the policy admitting a deployment's ingress; the same as its workload's. */
export function networkPolicyName(deploymentId: string): string {
  return workloadName(deploymentId);
}

/** The name of an environment's sentinel (Deployment and Service): `sentinel-env-01jc…`. */
export function sentinelName(environmentId: string): string {
  return toDnsLabel(`sentinel-${environmentId}`);
}

/** The cluster DNS domain of every region's cluster (kubelet's `clusterDomain` default). */
export const CLUSTER_DOMAIN = "cluster.local";

/** A Service's cluster DNS name: `<name>.<namespace>.svc.cluster.local`. */
export function serviceHost(name: string, namespace: string): string {
  return `${name}.${namespace}.svc.${CLUSTER_DOMAIN}`;
}

/** `{ b: "2", a: "1" }` → `a=1,b=2`: the equality-based label selector of a label map. */
export function labelSelector(labels: Record<string, string>): string {
  return Object.keys(labels)
    .sort()
    .map((key) => `${key}=${labels[key]}`)
    .join(",");
}
