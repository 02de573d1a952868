import { Code, ConnectError } from "@connectrpc/connect";
import { createTestDatabase, type TestDatabase } from "@hydra/db/testing";
import { ProjectService } from "@hydra/proto/ctrl/v1";
import { healthV1, reflectionV1, reflectionV1alpha } from "@hydra/proto/grpc";
import { ClientFactory, type Protocol } from "../support/clients";
import { startService, type ServiceName, type ServiceProcess } from "../support/service-process";

// Each server as its own process on an ephemeral port, called over real HTTP/2 with the
// gRPC and the Connect protocols.

// The Connect servers (frontline is an HAProxy agent, tested in test/dataplane).
const EXPECTED_SERVICES: Record<Exclude<ServiceName, "frontline">, string[]> = {
  "deploy-svc": ["ctrl.v1.DeploymentService", "ctrl.v1.ProjectService", "hydra.v1.DeployService"],
  "routing-svc": ["hydra.v1.RoutingService"],
};
const STANDARD_SERVICES = [
  "grpc.health.v1.Health",
  "grpc.reflection.v1.ServerReflection",
  "grpc.reflection.v1alpha.ServerReflection",
];
const TOKEN = "s3cret-token-for-tests";

let db: TestDatabase;
const clients = new ClientFactory();
const servers: Partial<Record<ServiceName, ServiceProcess>> = {};

beforeAll(async () => {
  db = await createTestDatabase("servers");
  const env = { DATABASE_URL: db.url, HYDRA_API_TOKEN: TOKEN };
  [servers["deploy-svc"], servers["routing-svc"]] = await Promise.all([
    startService("deploy-svc", { env }),
    startService("routing-svc", { env }),
  ]);
});

afterAll(async () => {
  clients.close();
  await Promise.all(Object.values(servers).map((s) => s?.stop()));
  await db?.drop();
});

async function listServices(url: string, protocol: Protocol, alpha: boolean): Promise<string[]> {
  async function* one() {
    yield { messageRequest: { case: "listServices" as const, value: "*" } };
  }
  const names: string[] = [];
  if (alpha) {
    const client = clients.client(reflectionV1alpha.ServerReflection, url, { protocol, token: TOKEN });
    for await (const res of client.serverReflectionInfo(one())) {
      if (res.messageResponse.case === "listServicesResponse")
        names.push(...res.messageResponse.value.service.map((s) => s.name));
    }
  } else {
    const client = clients.client(reflectionV1.ServerReflection, url, { protocol, token: TOKEN });
    for await (const res of client.serverReflectionInfo(one())) {
      if (res.messageResponse.case === "listServicesResponse")
        names.push(...res.messageResponse.value.service.map((s) => s.name));
    }
  }
  return names.sort();
}

describe.each(["deploy-svc", "routing-svc"] as const)("%s", (name) => {
  describe.each(["grpc", "connect"] as const)("over %s", (protocol) => {
    it("reports SERVING on grpc.health.v1 without a token", async () => {
      const health = clients.client(healthV1.Health, servers[name]!.url, { protocol });
      const res = await health.check({ service: "" });
      expect(res.status).toBe(healthV1.HealthCheckResponse_ServingStatus.SERVING);
    });

    it.each([false, true])("lists its services through reflection (v1alpha: %s)", async (alpha) => {
      const names = await listServices(servers[name]!.url, protocol, alpha);
      expect(names).toEqual([...EXPECTED_SERVICES[name], ...STANDARD_SERVICES].sort());
    });
  });

  it("answers unauthenticated without the token, and with a wrong one", async () => {
    const url = servers[name]!.url;
    const descriptor = name === "deploy-svc" ? ProjectService : undefined;
    if (descriptor) {
      for (const token of [undefined, "wrong", `${TOKEN}x`]) {
        const client = clients.client(descriptor, url, { token });
        await expect(client.getProject({ projectId: "prj_01h455vb4pex5vsknk084sn02q" })).rejects.toMatchObject({
          code: Code.Unauthenticated,
        });
      }
    } else {
      const client = clients.client(reflectionV1.ServerReflection, url, {});
      const stream = client.serverReflectionInfo(
        (async function* () {
          yield { messageRequest: { case: "listServices" as const, value: "*" } };
        })(),
      );
      await expect(
        (async () => {
          for await (const _ of stream) void _;
        })(),
      ).rejects.toMatchObject({ code: Code.Unauthenticated });
    }
  });

  it("serves Prometheus metrics on /metrics over HTTP/1.1", async () => {
    const res = await fetch(`${servers[name]!.url}/metrics`);
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toContain("hydra_rpc_total");
    expect(body).toContain(`service="${name}"`);
  });
});

it("deploy-svc accepts the right token, and plain HTTP/1.1 Connect/JSON clients", async () => {
  const url = servers["deploy-svc"]!.url;
  const client = clients.client(ProjectService, url, { token: TOKEN });
  await expect(client.getProject({ projectId: "prj_01h455vb4pex5vsknk084sn02q" })).rejects.toMatchObject({
    code: Code.NotFound,
  });

  const res = await fetch(`${url}/ctrl.v1.ProjectService/CreateWorkspace`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({ name: "Over HTTP/1.1", slug: "http-one" }),
  });
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ workspaceId: expect.stringMatching(/^ws_/) });
});

it("refuses a request larger than the limit with resource_exhausted", async () => {
  const client = clients.client(ProjectService, servers["deploy-svc"]!.url, { token: TOKEN });
  const error = await client
    .createWorkspace({ name: "x".repeat(5 * 1024 * 1024), slug: "big" })
    .catch((e: unknown) => e);
  expect(ConnectError.from(error).code).toBe(Code.ResourceExhausted);
});

it("drains and exits 0 on SIGTERM", async () => {
  const server = await startService("routing-svc", { env: { DATABASE_URL: db.url } });
  expect(await server.stop("SIGTERM")).toBe(0);
  expect(server.lines.some((l) => l.includes('"msg":"stopped"'))).toBe(true);
});
