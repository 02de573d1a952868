import { setTimeout as sleep } from "node:timers/promises";
import { Code, ConnectError, type Client } from "@connectrpc/connect";
import { DeploymentService, ProjectService } from "@hydra/proto/ctrl/v1";
import { DeployService } from "@hydra/proto/hydra/v1";
import { freePort } from "../../../packages/routing/src/testing";
import { ClientFactory } from "../../support/clients";
import { ADDRESS_VARIABLE, startService, type ServiceName, type ServiceProcess } from "../../support/service-process";
import type { Rng } from "./rng";

/**
 * Several deploy-svc and routing-svc processes sharing one database, Redis and cluster, each
 * on a fixed port so it comes back where its peers and callers expect it after a SIGKILL.
 * deploy-svc #i talks to routing-svc #(i mod routing count).
 */
export interface FleetOptions {
  deployCount: number;
  routingCount: number;
  /** Environment of every process (DATABASE_URL, HYDRA_DEFAULT_DOMAIN…). */
  env: Record<string, string>;
  /** deploy-svc's environment on top of `env`. */
  deployEnv: Record<string, string>;
}

export interface DeployClients {
  projects: Client<typeof ProjectService>;
  deployments: Client<typeof DeploymentService>;
  deploys: Client<typeof DeployService>;
}

/**
 * Deadline for a process to listen. deploy-svc with the kubernetes driver loads
 * @kubernetes/client-node at start: ~17 s with the machine's two cores shared by a dozen
 * processes, more in spikes.
 */
const START_TIMEOUT_MS = 180_000;

export class Instance {
  process: ServiceProcess | undefined;
  /** Lines of the processes this instance ran before (kept for diagnosis). */
  private readonly history: string[] = [];
  private factory: ClientFactory | undefined;
  clients: DeployClients | undefined;
  starts = 0;
  kills = 0;

  constructor(
    readonly name: string,
    readonly service: ServiceName,
    readonly port: number,
    private readonly env: Record<string, string>,
  ) {}

  get up(): boolean {
    return this.process !== undefined;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    if (this.process) throw new Error(`${this.name} is already running`);
    this.process = await startService(this.service, {
      env: { ...this.env, [ADDRESS_VARIABLE[this.service]]: `127.0.0.1:${this.port}` },
      timeoutMs: START_TIMEOUT_MS,
    });
    this.starts++;
    if (this.service === "deploy-svc") {
      this.factory = new ClientFactory();
      this.clients = {
        projects: this.factory.client(ProjectService, this.url),
        deployments: this.factory.client(DeploymentService, this.url),
        deploys: this.factory.client(DeployService, this.url),
      };
    }
  }

  /** SIGKILL (a crash), or SIGTERM; resolves when the process is gone. */
  async stop(signal: NodeJS.Signals): Promise<void> {
    const process = this.process;
    if (!process) return;
    this.process = undefined;
    this.clients = undefined;
    this.factory?.close();
    this.factory = undefined;
    if (signal === "SIGKILL") this.kills++;
    await process.stop(signal);
    this.history.push(...process.lines.slice(-200), `--- ${this.name} ${signal} ---`);
  }

  /** The last `count` lines this instance printed, across its restarts. */
  lastLines(count: number): string[] {
    return [...this.history, ...(this.process?.lines ?? [])].slice(-count);
  }
}

export class Fleet {
  private constructor(
    readonly deploy: Instance[],
    readonly routing: Instance[],
  ) {}

  static async start(options: FleetOptions): Promise<Fleet> {
    const routing = await Promise.all(
      Array.from(
        { length: options.routingCount },
        async (_, i) => new Instance(`routing-svc#${i}`, "routing-svc", await freePort(), options.env),
      ),
    );
    const deploy = await Promise.all(
      Array.from({ length: options.deployCount }, async (_, i) => {
        const env = { ...options.env, ...options.deployEnv, ROUTING_SVC_URL: routing[i % routing.length]!.url };
        return new Instance(`deploy-svc#${i}`, "deploy-svc", await freePort(), env);
      }),
    );
    const fleet = new Fleet(deploy, routing);
    // Routing first (deploy-svc's runs call it at once); the deploy-svc all at once, as
    // several instances of a rollout do (each applies the migrations, safely).
    await Promise.all(routing.map((r) => r.start()));
    await Promise.all(deploy.map((d) => d.start()));
    return fleet;
  }

  get all(): Instance[] {
    return [...this.deploy, ...this.routing];
  }

  async stop(): Promise<void> {
    await Promise.all(this.all.map((i) => i.stop("SIGTERM")));
  }

  /**
   * Calls deploy-svc through a live instance chosen by `rng`, and again through another on
   * `unavailable` (the instance died or is starting) until `deadline`. `retryable` widens
   * what is retried for calls that are idempotent.
   */
  async call<T>(
    rng: Rng,
    what: string,
    call: (clients: DeployClients) => Promise<T>,
    options: { deadline: number; retryable?: (code: Code) => boolean; onRetry?: () => void },
  ): Promise<T> {
    for (;;) {
      const live = this.deploy.filter((d) => d.clients);
      if (live.length === 0) {
        if (Date.now() > options.deadline)
          throw new ConnectError(`${what}: no deploy-svc up before the deadline`, Code.Unavailable);
        await sleep(50); // every instance is down for a moment: the churn restarts them
        continue;
      }
      try {
        return await call(rng.pick(live).clients!);
      } catch (error) {
        const connectError = ConnectError.from(error);
        const retry = isTransportFailure(connectError.code) || options.retryable?.(connectError.code) === true;
        if (!retry || Date.now() > options.deadline) throw connectError;
        options.onRetry?.();
      }
    }
  }
}

/**
 * The instance went away under the call: refused connection (`unavailable`) or the stream
 * reset by its death (`canceled`, since the caller did not cancel).
 */
export function isTransportFailure(code: Code): boolean {
  return code === Code.Unavailable || code === Code.Canceled;
}
