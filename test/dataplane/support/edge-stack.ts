// The whole data plane as real processes, for the test/dataplane suites: a hydra (its own
// database, routing-svc and deploy-svc on the local cluster that serves: instances on loopback
// addresses, an nginx sentinel per environment, the activator) and a frontline agent driving a
// real HAProxy fed by routing-svc's WatchRoutes. Needs nginx and haproxy.
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { stopOrphanNginx } from "../../../packages/cluster/src/local/nginx";
import { freePort } from "../../../packages/routing/src/testing";
import { APEX, Hydra } from "../../deploy/support/harness";
import { type ServiceProcess, startService } from "../../support/service-process";
import { edgeGet, killHaproxy } from "./processes";

/** What answered a request through the edge: the instance's identity, or the edge's own answer. */
export interface InstanceAnswer {
  status: number;
  deployment?: string;
  instance?: string;
  region?: string;
  host?: string;
  path?: string;
  retryAfter?: string;
  /** The edge's (or sentinel's, or activator's) own answer when no instance answered. */
  body?: string;
}

export interface EdgeStack {
  h: Hydra;
  edgeUrl: string;
  /** SIGKILLs the agent (HAProxy goes on serving). */
  killFrontline(): Promise<void>;
  /** A scratch directory of the file (wrk scripts and the like). */
  scratchDir: string;
  /** One request through the edge (keep-alive, deadline `timeoutMs`). */
  ask(host: string, options?: { path?: string; timeoutMs?: number }): Promise<InstanceAnswer>;
  /** Stops everything, HAProxy and any sentinel nginx left behind included. */
  close(): Promise<void>;
}

export async function startEdgeStack(options: {
  label: string;
  /** deploy-svc's environment on top of the local cluster's (HYDRA_STANDBY_DELAY and the like). */
  deployEnv?: Record<string, string>;
}): Promise<EdgeStack> {
  const clusterDir = mkdtempSync(path.join(tmpdir(), `hydra-${options.label}-cluster-`));
  const stateDir = mkdtempSync(path.join(tmpdir(), `hydra-${options.label}-frontline-`));
  const scratchDir = mkdtempSync(path.join(tmpdir(), `hydra-${options.label}-scratch-`));
  let h: Hydra | undefined;
  let frontline: ServiceProcess | undefined;
  const close = async () => {
    await frontline?.stop();
    await killHaproxy(stateDir);
    await h?.close();
    // deploy-svc stops its sentinels on a clean exit; an nginx it left behind is killed by its pid file.
    for (const sentinelDir of sentinelDirs(path.join(clusterDir, "cluster.json.d", "sentinels")))
      stopOrphanNginx(sentinelDir);
    for (const dir of [clusterDir, stateDir, scratchDir]) rmSync(dir, { recursive: true, force: true });
  };
  try {
    h = await Hydra.start({
      label: options.label,
      deployEnv: {
        HYDRA_SIMULATED_SERVE: "true",
        HYDRA_SIMULATED_REGIONS: "local",
        HYDRA_SIMULATED_STATE: path.join(clusterDir, "cluster.json"),
        ...options.deployEnv,
      },
    });
    const edgePort = await freePort();
    frontline = await startService("frontline", {
      env: {
        ROUTING_SVC_URL: h.routingSvc.url,
        HYDRA_REGION: "local",
        HYDRA_DEFAULT_DOMAIN: APEX,
        HYDRA_FRONTLINE_ADDR: `127.0.0.1:${edgePort}`,
        HYDRA_FRONTLINE_STATE_DIR: stateDir,
      },
    });
    const edgeUrl = `http://127.0.0.1:${edgePort}`;
    return {
      h,
      edgeUrl,
      async killFrontline() {
        await frontline?.stop("SIGKILL");
        frontline = undefined;
      },
      scratchDir,
      async ask(host, askOptions = {}) {
        const response = await edgeGet(edgeUrl, host, {
          path: askOptions.path,
          timeoutMs: askOptions.timeoutMs ?? 10_000,
        });
        if (response.status !== 200)
          return { status: response.status, body: response.body, retryAfter: response.retryAfter };
        return { status: 200, ...(JSON.parse(response.body) as Omit<InstanceAnswer, "status">) };
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** sentinels/<region>/<environment>: every directory a local sentinel ran in. */
function sentinelDirs(root: string): string[] {
  const list = (d: string) => {
    try {
      return readdirSync(d).map((entry) => path.join(d, entry));
    } catch {
      return [];
    }
  };
  return list(root).flatMap(list);
}
