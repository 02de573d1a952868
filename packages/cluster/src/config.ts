import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import type { DriverEvent, DriverKind } from "./driver";
import { ClusterError } from "./errors";
import { isDns1123Label } from "./names";

/** How to reach one region's cluster. */
export type ClusterTarget =
  /** A kubeconfig file (default: `KUBECONFIG` or `~/.kube/config`) and a context in it (default: its current context). */
  (
    | { kubeconfig?: string; context?: string; inCluster?: false }
    /** The service account of the pod hydra runs in. */
    | { inCluster: true }
  ) & {
    /**
     * Where an edge outside the cluster reaches an environment's sentinel: `host:port`, in which
     * `{name}` and `{namespace}` stand for the sentinel Service's name and namespace (e.g.
     * `{name}.{namespace}.use1.example.net:80`). Absent: the edge reaches sentinels by cluster DNS.
     */
    sentinelAddress?: string;
  };

/** `host:port` (host a name or `[IPv6]`), with the `{name}`/`{namespace}` placeholders allowed in the host. */
const SENTINEL_ADDRESS = /^(?:[A-Za-z0-9.{}-]+|\[[0-9A-Fa-f:.]+\]):(\d{1,5})$/;

/** Why a `sentinelAddress` template is not usable, or null. */
export function sentinelAddressProblem(template: string): string | null {
  const match = SENTINEL_ADDRESS.exec(template);
  if (!match) return "must be host:port, e.g. {name}.{namespace}.use1.example.net:80";
  const port = Number(match[1]);
  if (port < 1 || port > 65535) return "port must be 1-65535";
  const unknown = template.match(/\{[^}]*\}/g)?.filter((p) => p !== "{name}" && p !== "{namespace}") ?? [];
  if (unknown.length > 0) return `unknown placeholder ${unknown[0]} (only {name} and {namespace})`;
  return null;
}

export interface KubernetesDriverConfig {
  kind: "kubernetes";
  /** region → cluster. */
  clusters: Record<string, ClusterTarget>;
  /** Per-request timeout; default 30 s. */
  requestTimeoutMs?: number;
  /** Server-side timeout of one watch request; the driver re-watches from the last resourceVersion. Default 240. */
  watchTimeoutSeconds?: number;
  /**
   * How long ensureNetworkPolicy waits for Cilium's verdict (the policy's `Valid` condition) when
   * the applied object has none yet; default 2000. Without Cilium's agent (only its CRD) no verdict
   * comes and the step goes on after this wait. Env: HYDRA_CILIUM_VERDICT_WAIT_MS.
   */
  policyVerdictWaitMs?: number;
  onEvent?: (event: DriverEvent) => void;
}

export interface SimulatedDriverConfig {
  kind: "simulated";
  /** Default `["local"]`. */
  regions?: string[];
  /** Instances become ready this long after they are created; default 50. */
  readyMs?: number;
  /**
   * A file the simulated cluster keeps its objects in, so it outlives a restart of deploy-svc
   * the way a real cluster does (one deploy-svc per file). In memory only when unset.
   */
  statePath?: string;
  /**
   * Serve what is deployed (HYDRA_SIMULATED_SERVE; `pnpm start` turns it on): pods are real HTTP
   * servers on loopback addresses, sentinels real nginx processes (Debian's `nginx` on PATH),
   * Service names resolve through a local DNS server. Off: objects and readiness only (fast, for tests).
   */
  serve?: boolean;
  onEvent?: (event: DriverEvent) => void;
}

export type ClusterDriverConfig = KubernetesDriverConfig | SimulatedDriverConfig;

function configError(message: string): ClusterError {
  return new ClusterError(message, { kind: "configuration", transient: false });
}

function checkRegion(region: string, source: string): void {
  if (!isDns1123Label(region)) {
    throw configError(
      `${source}: region "${region}" must be a DNS-1123 label (lower-case letters, digits and '-', at most 63)`,
    );
  }
}

/**
 * Parses `HYDRA_CLUSTERS`: a JSON object, or the path of a JSON or YAML file holding one,
 * mapping each region to `{ "kubeconfig": path, "context": name }` or `{ "inCluster": true }`,
 * either with an optional `"sentinelAddress"` (see ClusterTarget).
 * Relative kubeconfig paths in a file are relative to that file.
 *
 *   {"us-east-1": {"kubeconfig": "/etc/hydra/us-east-1.yaml", "context": "prod-use1"},
 *    "eu-west-1": {"inCluster": true}}
 */
export function parseClusters(value: string): Record<string, ClusterTarget> {
  const text = value.trim();
  let raw: unknown;
  let baseDir: string | undefined;
  let source = "HYDRA_CLUSTERS";
  if (text.startsWith("{")) {
    try {
      raw = JSON.parse(text);
    } catch (error) {
      throw configError(`HYDRA_CLUSTERS is not valid JSON: ${(error as Error).message}`);
    }
  } else {
    const file = resolve(text);
    source = `HYDRA_CLUSTERS file ${file}`;
    let content: string;
    try {
      content = readFileSync(file, "utf8");
    } catch (error) {
      throw configError(`${source} cannot be read: ${(error as Error).message}`);
    }
    try {
      raw = parseYaml(content); // YAML is a superset of JSON
    } catch (error) {
      throw configError(`${source} is neither JSON nor YAML: ${(error as Error).message}`);
    }
    baseDir = dirname(file);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw configError(
      `${source} must map regions to clusters, e.g. {"us-east-1": {"kubeconfig": "/path", "context": "name"}}`,
    );
  }
  const clusters: Record<string, ClusterTarget> = {};
  for (const [region, entry] of Object.entries(raw as Record<string, unknown>)) {
    checkRegion(region, source);
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
      throw configError(`${source}: region ${region} must be an object with kubeconfig/context or inCluster`);
    }
    const e = entry as Record<string, unknown>;
    const unknown = Object.keys(e).filter(
      (k) => !["kubeconfig", "context", "inCluster", "sentinelAddress"].includes(k),
    );
    if (unknown.length > 0) throw configError(`${source}: region ${region} has unknown keys ${unknown.join(", ")}`);
    let sentinel: { sentinelAddress?: string } = {};
    if (e.sentinelAddress !== undefined) {
      const problem =
        typeof e.sentinelAddress === "string" ? sentinelAddressProblem(e.sentinelAddress) : "must be a string";
      if (problem) throw configError(`${source}: region ${region}: sentinelAddress ${problem}`);
      sentinel = { sentinelAddress: e.sentinelAddress as string };
    }
    if (e.inCluster === true) {
      if (e.kubeconfig !== undefined || e.context !== undefined) {
        throw configError(`${source}: region ${region}: inCluster excludes kubeconfig and context`);
      }
      clusters[region] = { inCluster: true, ...sentinel };
      continue;
    }
    if (e.inCluster !== undefined && e.inCluster !== false)
      throw configError(`${source}: region ${region}: inCluster must be a boolean`);
    if (e.kubeconfig !== undefined && (typeof e.kubeconfig !== "string" || e.kubeconfig === "")) {
      throw configError(`${source}: region ${region}: kubeconfig must be a path`);
    }
    if (e.context !== undefined && (typeof e.context !== "string" || e.context === "")) {
      throw configError(`${source}: region ${region}: context must be a name`);
    }
    const kubeconfig = e.kubeconfig as string | undefined;
    clusters[region] = {
      ...(kubeconfig !== undefined
        ? { kubeconfig: baseDir && !isAbsolute(kubeconfig) ? resolve(baseDir, kubeconfig) : kubeconfig }
        : {}),
      ...(e.context !== undefined ? { context: e.context as string } : {}),
      ...sentinel,
    };
  }
  if (Object.keys(clusters).length === 0) throw configError(`${source} configures no region`);
  return clusters;
}

/**
 * The driver configuration from the environment:
 * - `HYDRA_CLUSTER_DRIVER`: `kubernetes` or `simulated`; unset means `kubernetes` when
 *   `HYDRA_CLUSTERS` is set and `simulated` otherwise.
 * - `HYDRA_CLUSTERS`: see parseClusters (required for `kubernetes`).
 * - `HYDRA_SIMULATED_READY_MS` (default 50), `HYDRA_SIMULATED_REGIONS` (comma separated, default `local`),
 *   `HYDRA_SIMULATED_STATE` (a file that keeps the simulated cluster across restarts),
 *   `HYDRA_SIMULATED_SERVE` (`true`: a local cluster that serves; default `false`).
 */
export function clusterConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ClusterDriverConfig {
  const clusters = env.HYDRA_CLUSTERS?.trim();
  const kind = (env.HYDRA_CLUSTER_DRIVER?.trim() || (clusters ? "kubernetes" : "simulated")) as DriverKind;
  if (kind === "kubernetes") {
    if (!clusters)
      throw configError(
        "HYDRA_CLUSTER_DRIVER=kubernetes needs HYDRA_CLUSTERS (JSON, or a JSON/YAML file: region → {kubeconfig, context} | {inCluster: true})",
      );
    const waitText = env.HYDRA_CILIUM_VERDICT_WAIT_MS?.trim();
    const policyVerdictWaitMs = waitText ? Number(waitText) : undefined;
    if (policyVerdictWaitMs !== undefined && (!Number.isFinite(policyVerdictWaitMs) || policyVerdictWaitMs < 0)) {
      throw configError(`HYDRA_CILIUM_VERDICT_WAIT_MS must be a number of milliseconds ≥ 0, not "${waitText}"`);
    }
    return {
      kind,
      clusters: parseClusters(clusters),
      ...(policyVerdictWaitMs !== undefined ? { policyVerdictWaitMs } : {}),
    };
  }
  if (kind === "simulated") {
    const readyText = env.HYDRA_SIMULATED_READY_MS?.trim();
    const readyMs = readyText ? Number(readyText) : 50;
    if (!Number.isFinite(readyMs) || readyMs < 0)
      throw configError(`HYDRA_SIMULATED_READY_MS must be a number of milliseconds ≥ 0, not "${readyText}"`);
    const regions = (env.HYDRA_SIMULATED_REGIONS?.trim() || "local")
      .split(",")
      .map((r) => r.trim())
      .filter(Boolean);
    for (const region of regions) checkRegion(region, "HYDRA_SIMULATED_REGIONS");
    const statePath = env.HYDRA_SIMULATED_STATE?.trim() || undefined;
    const serveText = env.HYDRA_SIMULATED_SERVE?.trim().toLowerCase() || "false";
    if (!["true", "false", "1", "0"].includes(serveText))
      throw configError(`HYDRA_SIMULATED_SERVE must be true or false, not "${serveText}"`);
    const serve = serveText === "true" || serveText === "1";
    return { kind, regions, readyMs, ...(statePath ? { statePath } : {}), ...(serve ? { serve } : {}) };
  }
  throw configError(`HYDRA_CLUSTER_DRIVER must be "kubernetes" or "simulated", not "${kind}"`);
}
