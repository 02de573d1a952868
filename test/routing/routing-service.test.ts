// RoutingService over Connect against a routing-svc process: idempotency, every rejection's
// code with an unchanged database, local hostnames, and the client's auth header.
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { createPool, newId, type Pool } from "@hydra/db";
import { createTestDatabase, type TestDatabase } from "@hydra/db/testing";
import { AssignDomainsRequestSchema, DomainSticky, RoutingService } from "@hydra/proto/hydra/v1";
import { type AssignDomainsInput, createRoutingClient, type RoutingClient } from "../../packages/routing/src/client";
import {
  createDeploymentFixture,
  createProjectFixture,
  gatewayConfigFor,
  type ProjectFixture,
  snapshotRoutingTables,
} from "../../packages/routing/src/testing";
import { type ServiceProcess, startService } from "../support/service-process";

const TOKEN = "routing-test-token";
let database: TestDatabase;
let pool: Pool;
let server: ServiceProcess;
let client: RoutingClient;
let project: ProjectFixture;

beforeAll(async () => {
  database = await createTestDatabase("routing_service");
  pool = createPool(database.url, { max: 4 });
  server = await startService("routing-svc", {
    env: { DATABASE_URL: database.url, HYDRA_DEFAULT_DOMAIN: "hydra.test", HYDRA_API_TOKEN: TOKEN },
  });
  client = createRoutingClient({ baseUrl: server.url, token: TOKEN, maxAttempts: 1 });
}, 60_000);

afterAll(async () => {
  client?.close();
  await server?.stop();
  await pool?.end();
  await database?.drop();
});

beforeEach(async () => {
  project = await createProjectFixture(pool);
});

const host = (label: string) => `${label}-${project.projectId.slice(-8)}.hydra.test`;
function assignInput(deploymentId: string, extra: Partial<AssignDomainsInput> = {}): AssignDomainsInput {
  return {
    workspaceId: project.workspaceId,
    projectId: project.projectId,
    environmentId: project.productionId,
    deploymentId,
    idempotencyKey: newId("routingOperation"),
    gatewayConfig: gatewayConfigFor(deploymentId),
    ...extra,
  };
}
async function codeOf(call: Promise<unknown>): Promise<string> {
  return call.then(
    () => "OK",
    (e: unknown) => Code[ConnectError.from(e).code],
  );
}
async function domainId(name: string): Promise<string> {
  const { rows } = await pool.query<{ id: string }>("SELECT id FROM domains WHERE name = $1", [name]);
  return rows[0]!.id;
}

it("the same idempotency key twice → the same response and one generation; another request under it → already_exists", async () => {
  const dep = await createDeploymentFixture(pool, project);
  const input = assignInput(dep.id, {
    idempotencyKey: `deploy-${dep.id}`,
    setLive: true,
    domains: [{ name: host("idem"), sticky: DomainSticky.LIVE }],
  });
  const first = await client.assignDomains(input);
  const snapshot = await snapshotRoutingTables(pool);
  const second = await client.assignDomains(input);
  expect(second).toEqual(first);
  expect(await snapshotRoutingTables(pool)).toEqual(snapshot);
  expect(
    await codeOf(client.assignDomains({ ...input, domains: [{ name: host("other"), sticky: DomainSticky.LIVE }] })),
  ).toBe("AlreadyExists");
  expect(await snapshotRoutingTables(pool)).toEqual(snapshot);
});

describe("every rejection has its code and changes nothing", () => {
  it.each<[string, string, (dep: string, other: { dep: string; domain: string }) => Promise<unknown>]>([
    [
      "bad hostname",
      "InvalidArgument",
      (dep) => client.assignDomains(assignInput(dep, { domains: [{ name: "bad_host..example.com" }] })),
    ],
    [
      "upper-case hostname",
      "InvalidArgument",
      (dep) => client.assignDomains(assignInput(dep, { domains: [{ name: "Upper.example.com" }] })),
    ],
    [
      "hostname over 253 characters",
      "InvalidArgument",
      (dep) => client.assignDomains(assignInput(dep, { domains: [{ name: `${"a.".repeat(127)}com` }] })),
    ],
    [
      "malformed project id",
      "InvalidArgument",
      (dep) => client.assignDomains(assignInput(dep, { projectId: "project-1" })),
    ],
    [
      "unknown deployment",
      "NotFound",
      () => client.assignDomains(assignInput(newId("deployment"), { domains: [{ name: host("u") }] })),
    ],
    [
      "unknown switch target",
      "NotFound",
      () =>
        client.switchDomains({
          targetDeploymentId: newId("deployment"),
          domainIds: [],
          idempotencyKey: newId("routingOperation"),
        }),
    ],
    [
      "unknown domain id",
      "NotFound",
      (dep) =>
        client.switchDomains({
          targetDeploymentId: dep,
          domainIds: [newId("domain")],
          idempotencyKey: newId("routingOperation"),
        }),
    ],
    [
      "foreign domain in AssignDomains",
      "PermissionDenied",
      (dep, other) =>
        client.assignDomains(
          assignInput(dep, {
            domains: [{ name: host("mine") }, { name: other.domain, sticky: DomainSticky.ENVIRONMENT }],
          }),
        ),
    ],
    [
      "domain of another project in SwitchDomains",
      "PermissionDenied",
      async (dep, other) =>
        client.switchDomains({
          targetDeploymentId: dep,
          domainIds: [await domainId(other.domain)],
          idempotencyKey: newId("routingOperation"),
        }),
    ],
    [
      "expected live deployment mismatch (CAS)",
      "FailedPrecondition",
      async (dep) =>
        client.switchDomains({
          targetDeploymentId: dep,
          domainIds: [await domainId(host("live"))],
          setLive: true,
          expectedLiveDeploymentId: dep,
          idempotencyKey: newId("routingOperation"),
        }),
    ],
    [
      "LIVE domain switched without set_live",
      "FailedPrecondition",
      async (dep) =>
        client.switchDomains({
          targetDeploymentId: dep,
          domainIds: [await domainId(host("live"))],
          idempotencyKey: newId("routingOperation"),
        }),
    ],
  ])("%s → %s", async (_name, code, call) => {
    // A live deployment with a LIVE domain, a second deployment with a stored config, and a
    // domain of another project.
    const live = await createDeploymentFixture(pool, project);
    await client.assignDomains(
      assignInput(live.id, { setLive: true, domains: [{ name: host("live"), sticky: DomainSticky.LIVE }] }),
    );
    const next = await createDeploymentFixture(pool, project, { gatewayConfig: gatewayConfigFor("stored") });
    const other = await createProjectFixture(pool);
    const theirs = await createDeploymentFixture(pool, other);
    const otherDomain = `theirs-${other.projectId.slice(-8)}.hydra.test`;
    await client.assignDomains({
      workspaceId: other.workspaceId,
      projectId: other.projectId,
      environmentId: other.productionId,
      deploymentId: theirs.id,
      idempotencyKey: newId("routingOperation"),
      gatewayConfig: gatewayConfigFor(theirs.id),
      domains: [{ name: otherDomain, sticky: DomainSticky.ENVIRONMENT }],
    });

    const before = await snapshotRoutingTables(pool);
    expect(await codeOf(call(next.id, { dep: theirs.id, domain: otherDomain }))).toBe(code);
    expect(await snapshotRoutingTables(pool)).toEqual(before);
  });
});

it("local hostnames get domains but no gateway config", async () => {
  const dep = await createDeploymentFixture(pool, project);
  const suffix = project.projectId.slice(-8);
  const local = [`app-${suffix}.localhost`, `printer-${suffix}.local`, `site-${suffix}.test`, "127.0.0.1"];
  const response = await client.assignDomains(
    assignInput(dep.id, { domains: [...local, host("served")].map((name) => ({ name, sticky: DomainSticky.BRANCH })) }),
  );
  expect(response.changedDomainNames.sort()).toEqual([...local, host("served")].sort());
  const domains = await pool.query("SELECT name FROM domains WHERE project_id = $1", [project.projectId]);
  expect(domains.rows).toHaveLength(5);
  const configs = await pool.query("SELECT hostname, deployment_id FROM gateway_configs WHERE project_id = $1", [
    project.projectId,
  ]);
  expect(configs.rows).toEqual([{ hostname: host("served"), deployment_id: dep.id }]);
});

it("requires the bearer token the client sends", async () => {
  const session = new Http2SessionManager(server.url);
  try {
    const anonymous = createClient(
      RoutingService,
      createConnectTransport({ baseUrl: server.url, httpVersion: "2", sessionManager: session }),
    );
    const request = create(AssignDomainsRequestSchema, assignInput(newId("deployment")));
    expect(await codeOf(anonymous.assignDomains(request))).toBe("Unauthenticated");
  } finally {
    session.abort();
  }
});
