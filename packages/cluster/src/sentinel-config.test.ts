import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { ClusterDns } from "./local/dns";
import { NginxProcess, nginxAvailable } from "./local/nginx";
import { sentinelClusterConfig } from "./manifests";
import { deploymentServiceName, serviceHost } from "./names";
import {
  renderSentinelConfig,
  SENTINEL_CONFIG_HEADER,
  sentinelConfigDigest,
  type SentinelConfigInput,
} from "./sentinel-config";
import { askSentinel, startEchoServer, type EchoServer } from "./testing";

const run = promisify(execFile);
const environmentId = "env_01h455vb4pex5vsknk084sn03r";
const otherEnvironmentId = "env_01h455vb4pex5vsknk084sn09z";
const namespace = "ws-01h455vb4pex5vsknk084sn01a";
const live = "dep_01h455vb4pex5vsknk084sn02q"; // two replicas, the first of them dead
const standby = "dep_01h455vb4pex5vsknk084sn05q"; // scaled to zero
const elsewhere = "dep_01h455vb4pex5vsknk084sn07q"; // a deployment of another environment
// A loopback block of its own (Linux routes all of 127/8 to lo), so parallel runs elsewhere do not collide.
const block = `127.${100 + Math.floor(Math.random() * 100)}.${Math.floor(Math.random() * 250)}`;

/** `nginx -t` on a config: the real binary's verdict. */
async function nginxTest(config: string): Promise<{ ok: boolean; output: string }> {
  const dir = mkdtempSync(join(tmpdir(), "hydra-sentinel-t-"));
  writeFileSync(join(dir, "nginx.conf"), config);
  try {
    const { stderr } = await run("nginx", ["-t", "-e", "stderr", "-p", dir, "-c", join(dir, "nginx.conf")]);
    return { ok: true, output: stderr };
  } catch (error) {
    return { ok: false, output: (error as { stderr?: string }).stderr ?? String(error) };
  }
}

const describeNginx = nginxAvailable() ? describe : describe.skip;
if (!nginxAvailable()) console.warn("sentinel config tests skipped: nginx is not installed (apt-get install -y nginx)");

describeNginx("the sentinel's nginx config", () => {
  it.each<[string, Partial<SentinelConfigInput>]>([
    ["the cluster config (ConfigMap)", {}],
    ["a local sentinel with an activator", { activator: "127.0.0.1:1" }],
  ])("%s passes nginx -t", async (_name, overrides) => {
    const dir = mkdtempSync(join(tmpdir(), "hydra-sentinel-p-"));
    const base = sentinelClusterConfig({ environmentId, namespace, port: 8080 });
    const config =
      Object.keys(overrides).length === 0
        ? // The ConfigMap's text as is; only the resolver name (kube-dns, absent here) and the /tmp paths are swapped.
          base
            .replace("kube-dns.kube-system.svc.cluster.local", "127.0.0.1")
            .replaceAll('"/tmp', `"${dir}`)
            .replace('"/dev/stdout"', `"${dir}/access.log"`)
        : renderSentinelConfig({
            environmentId,
            namespace,
            listen: "127.0.0.1:18080",
            healthListen: "127.0.0.1:18081",
            resolver: "127.0.0.1:53",
            upstreamPort: 8080,
            paths: { pid: `${dir}/pid`, temp: dir, accessLog: `${dir}/access.log`, errorLog: "stderr" },
            ...overrides,
          });
    const verdict = await nginxTest(config);
    expect(verdict).toMatchObject({ ok: true, output: expect.stringContaining("syntax is ok") });
    expect(verdict.output).toContain("syntax is ok");
  });

  it("rejects a value that would break out of its token", () => {
    const input = { environmentId, namespace, listen: "1", healthListen: "2", resolver: "r", upstreamPort: 1 };
    expect(() =>
      renderSentinelConfig({ ...input, paths: { pid: "a\nb", temp: "/t", accessLog: "x", errorLog: "y" } }),
    ).toThrow(/one line/);
  });

  describe("a running sentinel", () => {
    let dns: ClusterDns;
    let nginx: NginxProcess;
    let replica: EchoServer;
    let activatorEcho: EchoServer;
    let renderInput: SentinelConfigInput;
    const listen = `${block}.1:18480`;
    const upstreamPort = 18490;

    beforeAll(async () => {
      replica = await startEchoServer({ host: `${block}.11`, port: upstreamPort, name: "replica-2" });
      activatorEcho = await startEchoServer({ host: `${block}.30`, port: upstreamPort, name: "activator" });
      const addresses: Record<string, string[]> = {
        // The first replica's address refuses connections (dead); the second answers.
        [serviceHost(deploymentServiceName(live, environmentId), namespace)]: [`${block}.10`, `${block}.11`],
        // A Service without ready endpoints: its address refuses connections.
        [serviceHost(deploymentServiceName(standby, environmentId), namespace)]: [`${block}.20`],
        [serviceHost(deploymentServiceName(elsewhere, otherEnvironmentId), namespace)]: [`${block}.11`],
      };
      dns = new ClusterDns((name) => addresses[name] ?? null);
      const resolver = await dns.listen("127.0.0.1", 0);
      const dir = mkdtempSync(join(tmpdir(), "hydra-sentinel-run-"));
      renderInput = {
        environmentId,
        namespace,
        listen,
        healthListen: `${block}.1:18481`,
        resolver: `${resolver.host}:${resolver.port}`,
        upstreamPort,
        paths: {
          pid: join(dir, "nginx.pid"),
          temp: dir,
          accessLog: join(dir, "access.log"),
          errorLog: join(dir, "error.log"),
        },
        activator: `${block}.30:${upstreamPort}`,
      };
      nginx = new NginxProcess({ dir, config: renderSentinelConfig(renderInput) });
      await nginx.start({ healthUrl: `http://${block}.1:18481/healthz`, deadline: new Date(Date.now() + 20_000) });
    });

    afterAll(async () => {
      await nginx?.stop();
      await dns?.close();
      await replica?.close();
      await activatorEcho?.close();
    });

    const get = (deploymentId: string | null, method = "GET") =>
      askSentinel(listen, { host: "web-acme.hydra.run", deploymentId, method, path: "/some/path?q=1" });

    it("forwards to the deployment's Service, keeping path and Host, retrying past a dead replica", async () => {
      for (const method of ["GET", "HEAD", "PUT", "DELETE"]) {
        const response = await get(live, method);
        expect({ method, status: response.status }).toEqual({ method, status: 200 });
        if (method !== "HEAD")
          expect(JSON.parse(response.body)).toMatchObject({
            name: "replica-2",
            path: "/some/path?q=1",
            host: "web-acme.hydra.run",
          });
      }
    });

    it.each([
      ["no header", null, /X-Hydra-Deployment-Id is missing or not a deployment id/],
      ["a malformed id", "dep_../../etc", /missing or not a deployment id/],
      ["an id of another kind", "env_01h455vb4pex5vsknk084sn03r", /missing or not a deployment id/],
      [
        "an unknown deployment",
        "dep_01h455vb4pex5vsknk084sn0zz",
        /no deployment dep_01h455vb4pex5vsknk084sn0zz in this environment/,
      ],
      ["another environment's deployment", elsewhere, /no deployment .* in this environment/],
    ])("answers 404 with a reason for %s", async (_name, id, reason) => {
      const response = await get(id);
      expect(response.status).toBe(404);
      expect(response.contentType).toBe("text/plain");
      expect(response.body).toMatch(reason);
    });

    it("hands a deployment without ready instances to the activator, with its id", async () => {
      const response = await get(standby);
      expect(response.status).toBe(200);
      expect(JSON.parse(response.body)).toMatchObject({
        name: "activator",
        path: "/some/path?q=1",
        deploymentId: standby,
        host: "web-acme.hydra.run",
      });
    });

    it("a reload resolves once the new config serves (its digest on the health endpoint)", async () => {
      const healthUrl = `http://${block}.1:18481/healthz`;
      const deadline = () => new Date(Date.now() + 10_000);
      const { activator, ...withoutActivator } = renderInput;
      const without = renderSentinelConfig(withoutActivator);
      expect(sentinelConfigDigest(without)).not.toBe(sentinelConfigDigest(renderSentinelConfig(renderInput)));
      for (let round = 0; round < 3; round++) {
        await nginx.reload(without, { healthUrl, deadline: deadline() });
        expect((await fetch(healthUrl)).headers.get(SENTINEL_CONFIG_HEADER)).toBe(sentinelConfigDigest(without));
        // At once, no waiting: the new config answers (no activator: 503 for a standby deployment).
        expect((await get(standby)).status).toBe(503);
        await nginx.reload(renderSentinelConfig({ ...withoutActivator, activator }), {
          healthUrl,
          deadline: deadline(),
        });
        expect(JSON.parse((await get(standby)).body)).toMatchObject({ name: "activator", deploymentId: standby });
      }
    });

    it("serves its health endpoint and logs each request with its deployment id", async () => {
      expect((await fetch(`http://${block}.1:18481/healthz`)).status).toBe(200);
      await get(live);
      const lines = (await nginx.accessLog())
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { deployment_id: string; status: number; upstream: string });
      expect(
        lines.some((l) => l.deployment_id === live && l.status === 200 && l.upstream.includes(`${block}.11`)),
      ).toBe(true);
    });
  });
});
