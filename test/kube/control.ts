/**
 * The real control plane `pnpm test:kube` runs (started by cluster.ts): where its state is, and
 * requests as the cluster admin (client certificate in `system:masters`) for what tests do
 * outside hydra's role: cordon nodes, play Cilium's operator, read objects back, clean up.
 */
import { readFileSync } from "node:fs";
import * as https from "node:https";
import { join, resolve } from "node:path";
import type { ClusterError } from "@hydra/cluster";

export const REPO_ROOT = resolve(__dirname, "..", "..");

/** Where cluster.ts keeps certificates, kubeconfigs, logs and state.json. */
export function kubeDir(env: NodeJS.ProcessEnv = process.env): string {
  return resolve(env.HYDRA_KUBE_DIR ?? join(REPO_ROOT, ".tmp", "kube"));
}

export interface RegionState {
  /** `https://127.0.0.1:<port>`: this region's kube-apiserver. */
  server: string;
  /** The hydra user's context in `hydraKubeconfig`. */
  context: string;
  /** A kubeconfig of the cluster admin for this region. */
  adminKubeconfig: string;
  nodes: string[];
  pids: Record<string, number>;
}

export interface KubeState {
  bin: string;
  dir: string;
  pki: { ca: string; adminCert: string; adminKey: string; hydraCert: string; hydraKey: string };
  etcd: { url: string; pid: number };
  regions: Record<string, RegionState>;
  /** One kubeconfig, one context per region, user `hydra` (client certificate CN=hydra). */
  hydraKubeconfig: string;
  /** HYDRA_CLUSTERS file: region → { kubeconfig: hydraKubeconfig, context }. */
  clustersPath: string;
  startedAt: string;
  /** Seconds from the start command to every region ready (nodes Ready, CRD established, RBAC applied). */
  startSeconds: number;
}

export function readState(dir = kubeDir()): KubeState {
  const path = join(dir, "state.json");
  try {
    return JSON.parse(readFileSync(path, "utf8")) as KubeState;
  } catch (error) {
    throw new Error(
      `no running test cluster: cannot read ${path} (start one with \`pnpm exec tsx test/kube/cluster.ts start\`): ${(error as Error).message}`,
    );
  }
}

export interface AdminResponse<T> {
  status: number;
  body: T;
}

export interface RequestAs {
  cert: string;
  key: string;
}

/** One request to a region's API server as `who` (default: the admin); JSON in and out. Rejects only on network errors. */
export function kubeRequest<T = unknown>(
  state: KubeState,
  region: string,
  method: string,
  path: string,
  body?: unknown,
  options: { contentType?: string; as?: RequestAs; timeoutMs?: number } = {},
): Promise<AdminResponse<T>> {
  const server = state.regions[region]?.server;
  if (!server)
    throw new Error(`the test cluster has no region ${region}; it has ${Object.keys(state.regions).join(", ")}`);
  const url = new URL(path, server);
  const payload = body === undefined ? undefined : Buffer.from(typeof body === "string" ? body : JSON.stringify(body));
  const as = options.as ?? { cert: state.pki.adminCert, key: state.pki.adminKey };
  return new Promise((resolvePromise, reject) => {
    const req = https.request(
      url,
      {
        method,
        ca: readFileSync(state.pki.ca),
        cert: readFileSync(as.cert),
        key: readFileSync(as.key),
        headers: {
          Accept: "application/json",
          ...(payload
            ? { "Content-Type": options.contentType ?? "application/json", "Content-Length": payload.length }
            : {}),
        },
        timeout: options.timeoutMs ?? 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let parsed: unknown = text;
          try {
            parsed = text === "" ? undefined : JSON.parse(text);
          } catch {
            // plain text (readyz, some 404s)
          }
          resolvePromise({ status: res.statusCode ?? 0, body: parsed as T });
        });
        res.on("error", reject);
      },
    );
    req.on("timeout", () =>
      req.destroy(new Error(`${method} ${url.href}: no response within ${options.timeoutMs ?? 30_000} ms`)),
    );
    req.on("error", reject);
    req.end(payload);
  });
}

/** Like kubeRequest, but a non-2xx answer rejects with its status and body. */
export async function kubeOk<T = unknown>(
  state: KubeState,
  region: string,
  method: string,
  path: string,
  body?: unknown,
  options: Parameters<typeof kubeRequest>[5] = {},
): Promise<T> {
  const response = await kubeRequest<T>(state, region, method, path, body, options);
  if (response.status < 200 || response.status > 299) {
    const text = typeof response.body === "string" ? response.body : JSON.stringify(response.body);
    throw new Error(`${method} ${path} in ${region}: HTTP ${response.status}: ${text.slice(0, 500)}`);
  }
  return response.body;
}

/** Marks every node of the region (un)schedulable: new pods there stay Pending (Unschedulable). */
export async function cordon(state: KubeState, region: string, unschedulable: boolean): Promise<void> {
  for (const node of state.regions[region]!.nodes) {
    await kubeOk(
      state,
      region,
      "PATCH",
      `/api/v1/nodes/${node}`,
      { spec: { unschedulable } },
      { contentType: "application/merge-patch+json" },
    );
  }
}

/**
 * Images a test deploys to tell kwok how one region treats their pods (kwok/hydra-stages.yaml;
 * nothing is pulled): Running but never Ready there, or Ready only 15 s after being scheduled.
 * The other regions run them as any other pod.
 */
export const neverReadyIn = (region: string): string => `hydra.test/kwok:never-ready-in-${region}`;
export const readyAfter15sIn = (region: string): string => `hydra.test/kwok:ready-after-15s-in-${region}`;

/** The driver's rejection of `p` (a test that expects one fails if `p` resolves). */
export const driverRejection = (p: Promise<unknown>): Promise<ClusterError> =>
  p.then(
    () => {
      throw new Error("expected a rejection");
    },
    (e: unknown) => e as ClusterError,
  );
