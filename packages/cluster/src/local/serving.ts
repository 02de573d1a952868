import { join } from "node:path";
import { renderSentinelConfig, SENTINEL_HEALTH_PATH } from "../sentinel-config";
import { ClusterDns, type ResolveName } from "./dns";
import { startInstanceServer, type InstanceServer } from "./instance-server";
import { logLocal } from "./log";
import { NginxProcess, stopOrphanNginx } from "./nginx";

/** How long a reconfigured sentinel may take to serve its new config. */
const RELOAD_WAIT_MS = 10_000;

/** The port every instance listens on, on its own loopback address: the local Services' one port. */
export const LOCAL_SERVICE_PORT = 8080;

export interface InstanceIdentity {
  deployment: string;
  instance: string;
  region: string;
  image: string;
}

export interface LocalSentinelSpec {
  region: string;
  environmentId: string;
  namespace: string;
  /** Its own loopback address. */
  ip: string;
  port: number;
}

/**
 * What makes the simulated cluster serve: per region a DNS server for Service names, per pod
 * a real HTTP server on the pod's loopback address, per environment a real nginx running the
 * generated sentinel config. The simulated driver decides what should run; this runs it.
 */
export class LocalServing {
  private readonly dns = new Map<string, Promise<{ server: ClusterDns; port: number }>>();
  private readonly instances = new Map<string, Promise<InstanceServer | null>>();
  /** Instances whose server listens now. */
  private readonly listening = new Set<string>();
  private readonly sentinels = new Map<
    string,
    { spec: LocalSentinelSpec; process: NginxProcess; config: string; starting: Promise<void> }
  >();
  private closed = false;

  constructor(
    private readonly opts: {
      /** Files of the sentinels (configs, pid files, logs). */
      dir: string;
      /** region → (DNS name → addresses, or null: no such name). */
      resolve: (region: string) => ResolveName;
      /** `host:port` of the activator the sentinels hand unready deployments to. */
      activator?: () => string | undefined;
    },
  ) {}

  private regionDns(region: string): Promise<{ server: ClusterDns; port: number }> {
    let entry = this.dns.get(region);
    if (!entry) {
      entry = (async () => {
        const server = new ClusterDns(this.opts.resolve(region));
        const { port } = await server.listen("127.0.0.1", 0);
        return { server, port };
      })();
      this.dns.set(region, entry);
    }
    return entry;
  }

  /** Starts the instance's server (idempotent); resolves true once it listens, false if it cannot. */
  async startInstance(id: string, ip: string, identity: InstanceIdentity): Promise<boolean> {
    if (this.closed) return false;
    let entry = this.instances.get(id);
    if (!entry) {
      entry = startInstanceServer({ host: ip, port: LOCAL_SERVICE_PORT, identity: { ...identity } }).catch(() => null);
      this.instances.set(id, entry);
    }
    const server = await entry;
    if (!server)
      this.instances.delete(id); // e.g. the address is taken: the next start tries again
    else if (this.instances.get(id) === entry) this.listening.add(id);
    return server !== null && this.listening.has(id);
  }

  /** Stops an instance's server (a pod removed, or killed). */
  async stopInstance(id: string): Promise<void> {
    const entry = this.instances.get(id);
    if (!entry) return;
    this.instances.delete(id);
    this.listening.delete(id);
    await (await entry)?.close();
  }

  hasInstance(id: string): boolean {
    return this.instances.has(id);
  }

  isListening(id: string): boolean {
    return this.listening.has(id);
  }

  /** Ids of the instances started (or starting) whose id begins with `prefix`. */
  instanceIds(prefix: string): string[] {
    return [...this.instances.keys()].filter((id) => id.startsWith(prefix));
  }

  /** The nginx.conf a local sentinel runs: the same renderer as the ConfigMap's. */
  private sentinelConfig(spec: LocalSentinelSpec, dir: string, dnsPort: number): string {
    const activator = this.opts.activator?.();
    return renderSentinelConfig({
      environmentId: spec.environmentId,
      namespace: spec.namespace,
      listen: `${spec.ip}:${spec.port}`,
      healthListen: `${spec.ip}:${spec.port + 1}`,
      resolver: `127.0.0.1:${dnsPort}`,
      resolverValidSeconds: 1,
      upstreamPort: LOCAL_SERVICE_PORT,
      workerProcesses: 1,
      paths: {
        pid: join(dir, "nginx.pid"),
        temp: dir,
        accessLog: join(dir, "access.log"),
        errorLog: join(dir, "error.log"),
      },
      ...(activator ? { activator } : {}),
    });
  }

  private healthUrl(spec: LocalSentinelSpec): string {
    return `http://${spec.ip}:${spec.port + 1}${SENTINEL_HEALTH_PATH}`;
  }

  /** Runs the environment's sentinel (idempotent); resolves once its health endpoint answers. */
  async ensureSentinel(spec: LocalSentinelSpec, deadline: Date): Promise<void> {
    if (this.closed) throw new Error("the local cluster is closed");
    const key = `${spec.region}/${spec.environmentId}`;
    const dir = join(this.opts.dir, "sentinels", spec.region, spec.environmentId);
    const { port: dnsPort } = await this.regionDns(spec.region);
    const config = this.sentinelConfig(spec, dir, dnsPort);
    const running = this.sentinels.get(key);
    if (running?.process.alive) {
      await running.starting;
      if (running.config !== config) {
        running.config = config;
        await running.process.reload(config, { healthUrl: this.healthUrl(spec), deadline });
      }
      return;
    }
    // Not running, or it exited (was killed) since: like a pod the kubelet restarts, start it again.
    stopOrphanNginx(dir);
    const process = new NginxProcess({ dir, config });
    const starting = process.start({
      healthUrl: this.healthUrl(spec),
      deadline,
    });
    this.sentinels.set(key, { spec, process, config, starting });
    try {
      await starting;
    } catch (error) {
      this.sentinels.delete(key);
      throw error;
    }
  }

  /** Re-renders every running sentinel's config (the activator's address changed) and reloads those that differ. */
  async reconfigure(): Promise<void> {
    await Promise.all(
      [...this.sentinels.values()].map(async (running) => {
        await running.starting.catch(() => undefined);
        const dir = join(this.opts.dir, "sentinels", running.spec.region, running.spec.environmentId);
        const config = this.sentinelConfig(running.spec, dir, (await this.regionDns(running.spec.region)).port);
        if (config === running.config) return;
        running.config = config;
        // Awaited, so whoever changed the activator knows the sentinels hand requests to it now.
        await running.process
          .reload(config, { healthUrl: this.healthUrl(running.spec), deadline: new Date(Date.now() + RELOAD_WAIT_MS) })
          .catch((error: Error) =>
            logLocal("warn", "local sentinel reload", {
              region: running.spec.region,
              environmentId: running.spec.environmentId,
              error: error.message,
            }),
          );
      }),
    );
  }

  /** Whether the environment's sentinel answers its health endpoint now (200 within a second). */
  async sentinelAnswers(region: string, environmentId: string): Promise<boolean> {
    const running = this.sentinels.get(`${region}/${environmentId}`);
    if (!running) return false;
    const { ip, port } = running.spec;
    try {
      const response = await fetch(`http://${ip}:${port + 1}${SENTINEL_HEALTH_PATH}`, {
        signal: AbortSignal.timeout(1_000),
      });
      await response.arrayBuffer();
      return response.status === 200;
    } catch {
      return false;
    }
  }

  /** The sentinel process of an environment (tests: its logs). */
  sentinel(region: string, environmentId: string): NginxProcess | undefined {
    return this.sentinels.get(`${region}/${environmentId}`)?.process;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.sentinels.values()].map((s) => s.process.stop()));
    this.sentinels.clear();
    await Promise.all([...this.instances.keys()].map((id) => this.stopInstance(id)));
    await Promise.all([...this.dns.values()].map(async (d) => (await d).server.close()));
    this.dns.clear();
  }
}
