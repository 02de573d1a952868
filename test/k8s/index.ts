/**
 * The test handle of the Kubernetes API stand-in: starts `main.ts` in a child Node process
 * (kubernetes-models is ESM-only with `import`-only exports, which Jest's CommonJS runtime
 * cannot load), one API server per region, and drives its control API.
 *
 *   const standIn = await startStandIn({ regions: ["us-east", "eu-west"], readyDelayMs: 100 });
 *   const driver = createClusterDriver({ kind: "kubernetes", clusters: standIn.clusters });
 *   await standIn.setKubelet("eu-west", { mode: "unschedulable" });
 *   …
 *   await standIn.stop();
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import * as http from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import type { KubeletMode } from "./kubelet";
import type { Fault, LoggedRequest } from "./server";

export type { KubeletMode, Fault, LoggedRequest };

export interface StandInOptions {
  regions?: string[];
  /** How long the fake kubelet takes to make a pod ready; default 200 ms. */
  readyDelayMs?: number;
  bookmarkIntervalMs?: number;
  historyLimit?: number;
  /** Where kubeconfig.yaml and clusters.json go; default a fresh temporary directory (removed on stop). */
  dir?: string;
}

export interface StandIn {
  regions: Record<string, { url: string; port: number; context: string }>;
  /** A kubeconfig with one context per region, `standin-<region>`. */
  kubeconfigPath: string;
  /** A HYDRA_CLUSTERS file: region → { kubeconfig, context }. */
  clustersPath: string;
  clusters: Record<string, { kubeconfig: string; context: string }>;
  setKubelet(region: string, settings: { mode?: KubeletMode; readyDelayMs?: number }): Promise<void>;
  /** Cuts every open watch connection of the region; resolves to how many. */
  dropWatches(region: string): Promise<number>;
  /** The next `count` (default 1) matching API requests answer `status` (e.g. 500, 429, 503). */
  injectFault(region: string, fault: Partial<Fault> & Pick<Fault, "status">): Promise<void>;
  clearFaults(region: string): Promise<void>;
  /** API requests the region received after sequence number `after`. */
  requests(region: string, after?: number): Promise<LoggedRequest[]>;
  stop(): Promise<void>;
}

const ROOT = join(__dirname, "..", "..");

function call<T>(port: number, method: string, path: string, body?: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      {
        host: "127.0.0.1",
        port,
        method,
        path,
        headers: payload ? { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(payload) } : {},
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () =>
          res.statusCode === 200
            ? resolve(JSON.parse(text) as T)
            : reject(new Error(`stand-in ${method} ${path}: ${res.statusCode} ${text}`)),
        );
      },
    );
    req.on("error", reject);
    req.end(payload);
  });
}

export async function startStandIn(options: StandInOptions = {}): Promise<StandIn> {
  const regions = options.regions ?? ["local"];
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), "hydra-standin-"));
  const loader = join(ROOT, "node_modules", "tsx", "dist", "loader.mjs");
  if (!existsSync(loader)) throw new Error(`tsx is not installed at ${loader}; run pnpm install`);
  const argv = [
    "--import",
    pathToFileURL(loader).href,
    join(__dirname, "main.ts"),
    "--regions",
    regions.join(","),
    "--dir",
    dir,
    "--exit-with-stdin",
    ...(options.readyDelayMs !== undefined ? ["--ready-delay-ms", String(options.readyDelayMs)] : []),
    ...(options.bookmarkIntervalMs !== undefined ? ["--bookmark-interval-ms", String(options.bookmarkIntervalMs)] : []),
    ...(options.historyLimit !== undefined ? ["--history-limit", String(options.historyLimit)] : []),
  ];
  const child: ChildProcess = spawn(process.execPath, argv, { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (c: string) => (stderr = (stderr + c).slice(-20_000)));

  const ready = await new Promise<{ kubeconfig: string; clusters: string; regions: StandIn["regions"] }>(
    (resolve, reject) => {
      let out = "";
      const timer = setTimeout(() => fail(new Error("the stand-in did not start within 60 s")), 60_000);
      const fail = (error: Error) => {
        clearTimeout(timer);
        child.kill("SIGKILL");
        reject(new Error(`${error.message}\n${stderr}`));
      };
      child.once("exit", (code) => fail(new Error(`the stand-in exited with code ${code}`)));
      child.stdout!.setEncoding("utf8");
      child.stdout!.on("data", (c: string) => {
        out += c;
        const line = out.split("\n").find((l) => l.startsWith("{"));
        if (line) {
          clearTimeout(timer);
          child.removeAllListeners("exit");
          resolve(JSON.parse(line));
        }
      });
    },
  );

  const port = (region: string) => {
    const r = ready.regions[region];
    if (!r) throw new Error(`the stand-in has no region ${region}`);
    return r.port;
  };
  const clusters = Object.fromEntries(
    Object.entries(ready.regions).map(([region, r]) => [region, { kubeconfig: ready.kubeconfig, context: r.context }]),
  );
  let stopped = false;
  return {
    regions: ready.regions,
    kubeconfigPath: ready.kubeconfig,
    clustersPath: ready.clusters,
    clusters,
    setKubelet: async (region, settings) => void (await call(port(region), "POST", "/_standin/kubelet", settings)),
    dropWatches: async (region) =>
      (await call<{ dropped: number }>(port(region), "POST", "/_standin/watches/drop")).dropped,
    injectFault: async (region, fault) => void (await call(port(region), "POST", "/_standin/faults", fault)),
    clearFaults: async (region) => void (await call(port(region), "DELETE", "/_standin/faults")),
    requests: (region, after = 0) => call<LoggedRequest[]>(port(region), "GET", `/_standin/requests?after=${after}`),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 5_000).unref();
      });
      if (ownDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
