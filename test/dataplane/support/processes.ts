import { type ChildProcess, spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import http from "node:http";
import path from "node:path";
import readline from "node:readline";
import { REPO_ROOT } from "../../support/service-process";

export interface EchoServer {
  name: string;
  url: string;
  /** host:port, as a gateway config's external address. */
  address: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts the stand-in sentinel target as its own process. */
export async function startEchoServer(name: string, host = "127.0.0.1", timeoutMs = 15_000): Promise<EchoServer> {
  const child = spawn(
    process.execPath,
    ["--require", "tsx/cjs", path.join(__dirname, "echo-server.ts"), name, host, "0"],
    {
      cwd: REPO_ROOT,
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`echo server ${name} did not listen within ${timeoutMs} ms`)),
      timeoutMs,
    );
    readline.createInterface({ input: child.stdout! }).on("line", (line) => {
      if (!line.includes('"listening"')) return;
      clearTimeout(timer);
      resolve((JSON.parse(line) as { url: string }).url);
    });
    child.once("exit", (code) => reject(new Error(`echo server ${name} exited (${code})`)));
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    name,
    url,
    address: url.replace("http://", ""),
    child,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}

export interface EdgeResponse {
  status: number;
  body: string;
  /** The stand-in that answered, when one did. */
  name?: string;
  /** The deployment id header the stand-in received. */
  deploymentId?: string | null;
  /** The deployment whose instance answered, when a local cluster's instance did. */
  deployment?: string;
  retryAfter?: string;
}

const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 8 });

/** One request through the edge with a Host header (keep-alive), with a deadline. */
export function edgeGet(
  edgeUrl: string,
  host: string,
  options: { headers?: Record<string, string>; path?: string; timeoutMs?: number } = {},
): Promise<EdgeResponse> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  return new Promise((resolve, reject) => {
    const request = http.get(
      `${edgeUrl}${options.path ?? "/probe"}`,
      { headers: { host, ...options.headers }, agent: keepAlive, timeout: timeoutMs },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          const body = Buffer.concat(chunks).toString("utf8");
          const result: EdgeResponse = { status: response.statusCode ?? 0, body };
          const retryAfter = response.headers["retry-after"];
          if (retryAfter !== undefined) result.retryAfter = retryAfter;
          if (response.headers["content-type"] === "application/json") {
            const parsed = JSON.parse(body) as { name?: string; deploymentId?: string | null; deployment?: string };
            result.name = parsed.name;
            result.deploymentId = parsed.deploymentId;
            result.deployment = parsed.deployment;
          }
          resolve(result);
        });
        response.on("error", reject);
      },
    );
    request.on("timeout", () => request.destroy(new Error(`edge request for ${host} timed out after ${timeoutMs} ms`)));
    request.on("error", reject);
  });
}

/** Polls until `check` passes (deadline `timeoutMs`). */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T>,
  check: (value: T) => boolean,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | string = "nothing yet";
  for (;;) {
    try {
      last = await probe();
      if (check(last)) return last;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export interface TargetReached {
  /** From the call to the first answer `isTarget` accepts. */
  elapsedMs: number;
  /** Answers on the way that were not 200 (or no answer at all). */
  failed: EdgeResponse[];
}

/**
 * Asks the edge for `host` until the answer comes from the target (`isTarget`), collecting every
 * answer that failed on the way: after a switch committed, how long until the edge follows it.
 */
export async function awaitEdgeTarget(
  edgeUrl: string,
  host: string,
  isTarget: (response: EdgeResponse) => boolean,
  timeoutMs: number,
): Promise<TargetReached> {
  const started = performance.now();
  const failed: EdgeResponse[] = [];
  let last: EdgeResponse | undefined;
  for (;;) {
    const response = await edgeGet(edgeUrl, host, { timeoutMs }).catch((error: Error): EdgeResponse => ({
      status: 0,
      body: error.message,
    }));
    if (response.status !== 200) failed.push(response);
    if (isTarget(response)) return { elapsedMs: performance.now() - started, failed };
    last = response;
    if (performance.now() - started > timeoutMs)
      throw new Error(`${host}: the edge did not answer from the target within ${timeoutMs} ms; last: ${last.body}`);
  }
}

/** SIGKILLs the HAProxy a frontline agent started in `stateDir` (it outlives the agent by design). */
export async function killHaproxy(stateDir: string): Promise<void> {
  const pid = Number((await readFile(path.join(stateDir, "haproxy.pid"), "utf8").catch(() => "")).trim());
  if (!(pid > 0)) return;
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
}
