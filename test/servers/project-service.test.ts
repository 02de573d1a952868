import { Code } from "@connectrpc/connect";
import { createTestDatabase, type TestDatabase } from "@hydra/db/testing";
import { ProjectService } from "@hydra/proto/ctrl/v1";
import pg from "pg";
import { ClientFactory } from "../support/clients";
import { startService, type ServiceProcess } from "../support/service-process";

// ctrl.v1.ProjectService against deploy-svc as a process and its own database.

let db: TestDatabase;
let server: ServiceProcess;
let sql: pg.Client;
const clients = new ClientFactory();
let projects: ReturnType<typeof clients.client<typeof ProjectService>>;

beforeAll(async () => {
  db = await createTestDatabase("project_service");
  server = await startService("deploy-svc", {
    env: { DATABASE_URL: db.url, HYDRA_SIMULATED_REGIONS: "local,eu-west" },
  });
  projects = clients.client(ProjectService, server.url);
  sql = new pg.Client({ connectionString: db.url });
  await sql.connect();
});

afterAll(async () => {
  clients.close();
  await sql?.end();
  await server?.stop();
  await db?.drop();
});

async function rowCounts(): Promise<Record<string, number>> {
  const res = await sql.query<{ workspaces: number; projects: number; environments: number }>(
    `SELECT (SELECT count(*) FROM workspaces)::int AS workspaces,
            (SELECT count(*) FROM projects)::int AS projects,
            (SELECT count(*) FROM environments)::int AS environments`,
  );
  return res.rows[0]!;
}

it("creates a workspace and a project with production and preview environments, and reads it back", async () => {
  const { workspaceId } = await projects.createWorkspace({ name: "Acme Corp", slug: "acme" });
  expect(workspaceId).toMatch(/^ws_[0-9a-z]{26}$/);

  const created = await projects.createProject({ workspaceId, name: "Web", slug: "web", regions: { "eu-west": 2 } });
  expect(created.projectId).toMatch(/^prj_/);
  expect(created.environments.map((e) => [e.slug, e.production, e.regions])).toEqual([
    ["production", true, { "eu-west": 2 }],
    ["preview", false, { "eu-west": 2 }],
  ]);

  const got = await projects.getProject({ projectId: created.projectId });
  expect(got.project).toMatchObject({
    id: created.projectId,
    workspaceId,
    workspaceSlug: "acme",
    name: "Web",
    slug: "web",
    defaultBranch: "main",
    liveDeploymentId: "",
    isRolledBack: false,
    routingGeneration: 0n,
  });
  expect(got.environments.map((e) => e.slug).sort()).toEqual(["preview", "production"]);
  expect(got.domains).toEqual([]);
});

it("defaults regions to every configured region with one replica", async () => {
  const { workspaceId } = await projects.createWorkspace({ name: "Defaults", slug: "defaults" });
  const created = await projects.createProject({ workspaceId, name: "API", slug: "api" });
  expect(created.environments[0]!.regions).toEqual({ "eu-west": 1, local: 1 });
});

it("refuses a duplicate workspace slug, and a duplicate project slug in one workspace", async () => {
  const { workspaceId } = await projects.createWorkspace({ name: "Dup", slug: "dup" });
  await projects.createProject({ workspaceId, name: "One", slug: "one" });
  const before = await rowCounts();
  await expect(projects.createWorkspace({ name: "Dup again", slug: "dup" })).rejects.toMatchObject({
    code: Code.AlreadyExists,
    rawMessage: 'workspace slug "dup" is taken',
  });
  await expect(projects.createProject({ workspaceId, name: "One again", slug: "one" })).rejects.toMatchObject({
    code: Code.AlreadyExists,
    rawMessage: expect.stringContaining(`project slug "one" is taken in workspace ${workspaceId}`),
  });
  expect(await rowCounts()).toEqual(before);
});

describe("rejects bad input precisely and writes nothing", () => {
  let workspaceId: string;
  beforeAll(async () => {
    ({ workspaceId } = await projects.createWorkspace({ name: "Checks", slug: "checks" }));
  });

  it.each([
    [
      "empty workspace slug",
      () => projects.createWorkspace({ name: "x", slug: "" }),
      Code.InvalidArgument,
      /slug "" is empty/,
    ],
    [
      "malformed workspace slug",
      () => projects.createWorkspace({ name: "x", slug: "Bad_Slug" }),
      Code.InvalidArgument,
      /lower-case/,
    ],
    [
      "empty workspace name",
      () => projects.createWorkspace({ name: " ", slug: "fine" }),
      Code.InvalidArgument,
      /name is empty/,
    ],
    [
      "malformed workspace id",
      () => projects.createProject({ workspaceId: "acme", name: "x", slug: "x" }),
      Code.InvalidArgument,
      /"acme" is not a workspace id/,
    ],
    [
      "unknown workspace",
      () => projects.createProject({ workspaceId: "ws_01h455vb4pex5vsknk084sn02q", name: "x", slug: "x" }),
      Code.NotFound,
      /workspace ws_01h455vb4pex5vsknk084sn02q not found/,
    ],
    [
      "malformed project slug",
      () => projects.createProject({ workspaceId, name: "x", slug: "-x" }),
      Code.InvalidArgument,
      /slug "-x"/,
    ],
    [
      "unconfigured region",
      () => projects.createProject({ workspaceId, name: "x", slug: "x", regions: { mars: 1 } }),
      Code.InvalidArgument,
      /region "mars" has no cluster configured/,
    ],
    [
      "zero replicas",
      () => projects.createProject({ workspaceId, name: "x", slug: "x", regions: { local: 0 } }),
      Code.InvalidArgument,
      /replicas must be 1-100/,
    ],
    [
      "bad default branch",
      () => projects.createProject({ workspaceId, name: "x", slug: "x", defaultBranch: "a..b" }),
      Code.InvalidArgument,
      /default_branch "a..b"/,
    ],
    [
      "slugs too long together",
      () => projects.createProject({ workspaceId, name: "x", slug: "p".repeat(45) }),
      Code.InvalidArgument,
      /at most 50 fit/,
    ],
    [
      "malformed project id",
      () => projects.getProject({ projectId: "nope" }),
      Code.InvalidArgument,
      /"nope" is not a project id/,
    ],
    [
      "unknown project",
      () => projects.getProject({ projectId: "prj_01h455vb4pex5vsknk084sn02q" }),
      Code.NotFound,
      /project prj_01h455vb4pex5vsknk084sn02q not found/,
    ],
  ])("%s", async (_what, call, code, message) => {
    const before = await rowCounts();
    await expect(call()).rejects.toMatchObject({ code, rawMessage: expect.stringMatching(message) });
    expect(await rowCounts()).toEqual(before);
  });
});
