import { type ChildProcess, spawn } from "node:child_process";
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
  deploymentId?: string | null;
}

const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 8 });

/** One request through the edge with a Host header (keep-alive), with a deadline. */
export function edgeGet(
  edgeUrl: string,
  host: string,
  headers: Record<string, string> = {},
  timeoutMs = 5_000,
): Promise<EdgeResponse> {
  return new Promise((resolve, reject) => {
    const request = http.get(
      `${edgeUrl}/probe`,
      { headers: { host, ...headers }, agent: keepAlive, timeout: timeoutMs },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          const body = Buffer.concat(chunks).toString("utf8");
          const result: EdgeResponse = { status: response.statusCode ?? 0, body };
          if (response.headers["content-type"] === "application/json") {
            const parsed = JSON.parse(body) as { name: string; deploymentId: string | null };
            result.name = parsed.name;
            result.deploymentId = parsed.deploymentId;
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
