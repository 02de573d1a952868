import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { SENTINEL_CONFIG_HEADER, sentinelConfigDigest } from "../sentinel-config";

let available: boolean | undefined;

/**
 * An nginx left running by a process that was killed (nginx outlives its parent), found by the
 * pid file in `dir`: its process group is killed, but only if that pid still runs nginx with
 * this very config (a recycled pid is left alone).
 */
export function stopOrphanNginx(dir: string): void {
  const pidFile = join(dir, "nginx.pid");
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, "utf8").trim());
  if (!Number.isInteger(pid) || pid <= 1) return;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    if (!cmdline.includes("nginx") || !cmdline.includes(join(dir, "nginx.conf"))) return;
    process.kill(-pid, "SIGKILL");
  } catch {
    // already gone
  }
}

/** Whether an `nginx` binary is on PATH (Debian: `apt-get install -y nginx`). */
export function nginxAvailable(): boolean {
  available ??= spawnSync("nginx", ["-v"], { stdio: "ignore" }).status === 0;
  return available;
}

export interface NginxProcessOptions {
  /** A directory of its own: nginx.conf, temp files, logs. */
  dir: string;
  /** The whole nginx.conf (renderSentinelConfig). */
  config: string;
}

/**
 * A real nginx process running a config (the local sentinel): started in the foreground
 * (`daemon off;` is in the config), ready once its health URL answers, stopped gracefully.
 */
export class NginxProcess {
  readonly configPath: string;
  private child: ChildProcess | null = null;
  private exited: Promise<number | null> | null = null;
  private stderr = "";

  constructor(private readonly options: NginxProcessOptions) {
    mkdirSync(options.dir, { recursive: true });
    this.configPath = join(options.dir, "nginx.conf");
    writeFileSync(this.configPath, options.config);
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Whether it was started and has neither exited nor been stopped. */
  get alive(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts nginx and resolves once `healthUrl` answers 200; rejects if it exits or the deadline passes. */
  async start(opts: { healthUrl: string; deadline: Date }): Promise<void> {
    // Its own process group: the master and its workers can be stopped together, even as
    // orphans of a killed parent (stopOrphanNginx).
    const child = spawn("nginx", ["-e", "stderr", "-p", this.options.dir, "-c", this.configPath], {
      stdio: ["ignore", "ignore", "pipe"],
      detached: true,
    });
    this.child = child;
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-4000);
    });
    this.exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
    let exitCode: number | null | undefined;
    void this.exited.then((code) => (exitCode = code));
    while (Date.now() < opts.deadline.getTime()) {
      if (exitCode !== undefined) throw new Error(`nginx exited (${exitCode}) at start: ${this.stderr.trim()}`);
      try {
        const response = await fetch(opts.healthUrl, { signal: AbortSignal.timeout(1_000) });
        if (response.status === 200) return;
      } catch {
        // not listening yet
      }
      await sleep(20);
    }
    await this.stop();
    throw new Error(
      `nginx did not answer ${opts.healthUrl} before ${opts.deadline.toISOString()}: ${this.stderr.trim()}`,
    );
  }

  /**
   * Replaces the config and has the running nginx load it (SIGHUP: new workers, no dropped
   * connection). nginx applies it asynchronously; this resolves once `healthUrl` answers with the
   * new config's digest (SENTINEL_CONFIG_HEADER), and rejects at the deadline.
   */
  async reload(config: string, opts: { healthUrl: string; deadline: Date }): Promise<void> {
    writeFileSync(this.configPath, config);
    this.child?.kill("SIGHUP");
    const digest = sentinelConfigDigest(config);
    if (!digest) return;
    while (Date.now() < opts.deadline.getTime()) {
      try {
        const response = await fetch(opts.healthUrl, { signal: AbortSignal.timeout(1_000) });
        await response.body?.cancel();
        if (response.headers.get(SENTINEL_CONFIG_HEADER) === digest) return;
      } catch {
        // between the old workers and the new ones
      }
      await sleep(20);
    }
    throw new Error(`nginx did not serve its new config (${digest}) before ${opts.deadline.toISOString()}`);
  }

  /** Graceful stop (SIGQUIT: finish in-flight requests), SIGKILL after `graceMs`. */
  async stop(graceMs = 5_000): Promise<void> {
    const child = this.child;
    if (!child || !this.exited) return;
    this.child = null;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGQUIT");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
  }

  /** The access log as written so far (when the config logs to `<dir>/access.log`). */
  async accessLog(): Promise<string> {
    return readFile(join(this.options.dir, "access.log"), "utf8").catch(() => "");
  }

  /** The error log (when the config logs to `<dir>/error.log`). */
  errorLog(): string {
    try {
      return readFileSync(join(this.options.dir, "error.log"), "utf8");
    } catch {
      return "";
    }
  }
}
