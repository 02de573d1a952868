import { createTestDatabase, type TestDatabase } from "@hydra/db/testing";
import { ProjectService } from "@hydra/proto/ctrl/v1";
import { ClientFactory } from "../support/clients";
import { startService, type ServiceProcess } from "../support/service-process";

// Issue 9: `pnpm bench` (and the tests) failed with `unauthenticated` when the shell exported
// HYDRA_API_TOKEN: the servers they start inherited it, their clients never sent it. A server
// started for a test or benchmark takes a token only from what the caller passes.

let db: TestDatabase;
let server: ServiceProcess;
const clients = new ClientFactory();
const saved = process.env.HYDRA_API_TOKEN;

beforeAll(async () => {
  db = await createTestDatabase("ambient_token");
  process.env.HYDRA_API_TOKEN = "exported-by-the-shell";
  server = await startService("deploy-svc", { env: { DATABASE_URL: db.url } });
});

afterAll(async () => {
  if (saved === undefined) delete process.env.HYDRA_API_TOKEN;
  else process.env.HYDRA_API_TOKEN = saved;
  clients.close();
  await server?.stop();
  await db?.drop();
});

it("serves a client that sends no token", async () => {
  const projects = clients.client(ProjectService, server.url);
  const { workspaceId } = await projects.createWorkspace({ name: "Acme", slug: "acme" });
  expect(workspaceId).toMatch(/^ws_/);
});
