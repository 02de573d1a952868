// wrk (Debian's package) as the load generator of the data plane tests and bench: a run of our
// own child process, round-robin over Host headers, optionally at a fixed rate, parsed report.
import { spawn } from "node:child_process";
import { unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";

export interface WrkOptions {
  seconds: number;
  connections: number;
  /** Throttles the whole run to about this rate (a fixed delay per connection between requests). */
  ratePerSecond?: number;
}

export interface WrkResult {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  /** wrk's "Non-2xx or 3xx responses". */
  non2xx: number;
  /** connect + read + write + timeout errors. */
  socketErrors: number;
  /** wrk's own report, for a failure message. */
  report: string;
}

export interface WrkRun {
  /** Ends the run early (SIGINT: wrk still prints its report). */
  stop(): void;
  result: Promise<WrkResult>;
}

/** wrk against `url`, round-robin over `hosts` as the Host header; its script goes in `scriptDir`. */
export function startWrk(url: string, hosts: string[], options: WrkOptions, scriptDir: string): WrkRun {
  const delayMs = options.ratePerSecond ? (options.connections * 1000) / options.ratePerSecond : 0;
  const script = path.join(scriptDir, `wrk-${process.pid}-${Math.random().toString(36).slice(2)}.lua`);
  writeFileSync(
    script,
    `local hosts = {${hosts.map((h) => JSON.stringify(h)).join(",")}}
local i = 0
request = function()
  i = i % #hosts + 1
  return wrk.format("GET", "/", { Host = hosts[i] })
end
${delayMs > 0 ? `delay = function() return ${delayMs} end` : ""}
`,
  );
  const child = spawn(
    "wrk",
    ["-t", "1", "-c", String(options.connections), "-d", `${options.seconds}s`, "--latency", "-s", script, url],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  // wrk ends by itself after `seconds`; the deadline only catches a wrk that hangs.
  const deadline = setTimeout(() => child.kill("SIGKILL"), (options.seconds + 30) * 1000);
  const result = new Promise<WrkResult>((resolve, reject) => {
    child.once("error", (error) => {
      clearTimeout(deadline);
      unlinkSync(script);
      reject(error);
    });
    child.once("exit", (code, signal) => {
      clearTimeout(deadline);
      unlinkSync(script);
      const parsed = parseWrk(stdout);
      if (!(parsed.requests >= 0)) reject(new Error(`wrk ended (${code ?? signal}) without a report: ${stderr}`));
      else resolve(parsed);
    });
  });
  return { stop: () => child.kill("SIGINT"), result };
}

/** A wrk run to its end. */
export function wrk(url: string, hosts: string[], options: WrkOptions, scriptDir: string): Promise<WrkResult> {
  return startWrk(url, hosts, options, scriptDir).result;
}

export function parseWrk(report: string): WrkResult {
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(report);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(report)?.[1] ?? NaN),
    p50Ms: toMs(/^\s+50%\s+(\S+)/m.exec(report)?.[1] ?? ""),
    p99Ms: toMs(/^\s+99%\s+(\S+)/m.exec(report)?.[1] ?? ""),
    requests: Number(/(\d+) requests in/.exec(report)?.[1] ?? NaN),
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(report)?.[1] ?? 0),
    socketErrors: socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0,
    report,
  };
}

function toMs(value: string): number {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(value.trim());
  if (!match) return Number.NaN;
  const n = Number(match[1]);
  return match[2] === "us" ? n / 1000 : match[2] === "ms" ? n : match[2] === "s" ? n * 1000 : n * 60_000;
}
