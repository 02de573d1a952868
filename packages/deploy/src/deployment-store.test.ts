import { Code } from "@connectrpc/connect";
import { createPool, createPrisma, type Pool, type PrismaClient } from "@hydra/db";
import { createTestDatabase, type TestDatabase } from "@hydra/db/testing";
import { ProjectStore } from "@hydra/projects";
import { checkCreateDeployment, type CreateDeploymentInput } from "./deployment-input";
import { DeploymentStore } from "./deployment-store";
import { deploymentEvents, type Wakeups } from "./event-feed";
import { appendDeploymentEvent } from "./sql/appendDeploymentEvent";
import { claimDeploymentCancel } from "./sql/claimDeploymentCancel";
import { setDeploymentStatus } from "./sql/setDeploymentStatus";

let db: TestDatabase;
let pool: Pool;
let prisma: PrismaClient;
let store: DeploymentStore;
let projectId: string;

const noImageProblem = () => undefined;

function request(overrides: Partial<CreateDeploymentInput> = {}): CreateDeploymentInput {
  return {
    projectId,
    environmentSlug: "production",
    branch: "main",
    commit: {
      sha: "0123456789abcdef0123456789abcdef01234567",
      message: "ship it",
      authorHandle: "ada",
      timestampMs: 1_700_000_000_000n,
    },
    source: { dockerImage: { image: "nginx:1.27" } },
    command: [],
    idempotencyKey: "",
    ...overrides,
  };
}

beforeAll(async () => {
  db = await createTestDatabase("deployment_store");
  pool = createPool(db.url);
  prisma = createPrisma(pool);
  const projects = new ProjectStore(prisma, () => ["local"]);
  const { workspaceId } = await projects.createWorkspace({ name: "Acme", slug: "acme" });
  ({ projectId } = await projects.createProject({
    workspaceId,
    name: "Web",
    slug: "web",
    defaultBranch: "main",
    regions: {},
  }));
  store = new DeploymentStore(pool);
});

afterAll(async () => {
  await prisma?.$disconnect();
  await pool?.end();
  await db?.drop();
});

async function count(): Promise<number> {
  const res = await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM deployments");
  return res.rows[0]!.n;
}

describe("create", () => {
  it("inserts a PENDING deployment with the project's next sequence", async () => {
    const a = await store.create(checkCreateDeployment(request(), noImageProblem));
    const b = await store.create(
      checkCreateDeployment(request({ environmentSlug: "preview", branch: "feature/x" }), noImageProblem),
    );
    expect(a.created && b.created).toBe(true);
    expect(b.deployment.sequence).toBe(a.deployment.sequence + 1n);
    expect(a.deployment).toMatchObject({
      status: "pending",
      environment_slug: "production",
      production: true,
      branch: "main",
      commit_sha: "0123456789abcdef0123456789abcdef01234567",
      author_handle: "ada",
      source: { dockerImage: { image: "nginx:1.27" } },
      workflow_id: `deploy:${a.deployment.id}`,
    });
  });

  it("returns the first deployment for a repeated idempotency key, and refuses a different request under it", async () => {
    const first = await store.create(checkCreateDeployment(request({ idempotencyKey: "ci-run-7" }), noImageProblem));
    const again = await store.create(checkCreateDeployment(request({ idempotencyKey: "ci-run-7" }), noImageProblem));
    expect(again).toEqual({ deployment: first.deployment, created: false });
    const before = await count();
    await expect(
      store.create(
        checkCreateDeployment(
          request({ idempotencyKey: "ci-run-7", source: { dockerImage: { image: "nginx:1.28" } } }),
          noImageProblem,
        ),
      ),
    ).rejects.toMatchObject({ code: Code.AlreadyExists, rawMessage: expect.stringContaining(first.deployment.id) });
    expect(await count()).toBe(before);
  });

  it("gives concurrent creates with one key one deployment", async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, () =>
        store.create(checkCreateDeployment(request({ idempotencyKey: "burst" }), noImageProblem)),
      ),
    );
    expect(new Set(results.map((r) => r.deployment.id)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
  });

  it.each<[string, Partial<CreateDeploymentInput>, Code, RegExp]>([
    ["malformed project id", { projectId: "web" }, Code.InvalidArgument, /project_id "web" is not a project id/],
    [
      "unknown project",
      { projectId: "prj_01h455vb4pex5vsknk084sn02q" },
      Code.NotFound,
      /project prj_01h455vb4pex5vsknk084sn02q not found/,
    ],
    [
      "unknown environment",
      { environmentSlug: "staging" },
      Code.NotFound,
      /environment "staging" not found in project/,
    ],
    ["no environment", { environmentSlug: "" }, Code.InvalidArgument, /environment_slug is required/],
    ["no source", { source: null }, Code.InvalidArgument, /source is required/],
    ["bad branch", { branch: "a..b" }, Code.InvalidArgument, /branch "a\.\.b"/],
    [
      "bad commit sha",
      { commit: { sha: "xyz", message: "", authorHandle: "", timestampMs: 0n } },
      Code.InvalidArgument,
      /commit_sha "xyz"/,
    ],
    [
      "git without repository",
      {
        source: {
          git: {
            installationId: "1",
            repository: "",
            commitSha: "abcdef1",
            contextPath: "",
            dockerfilePath: "",
            branch: "",
          },
        },
      },
      Code.InvalidArgument,
      /git.repository is required/,
    ],
    [
      "git sha disagrees",
      {
        source: {
          git: {
            installationId: "1",
            repository: "acme/web",
            commitSha: "abcdef1",
            contextPath: "",
            dockerfilePath: "",
            branch: "",
          },
        },
      },
      Code.InvalidArgument,
      /differs from git.commit_sha/,
    ],
  ])("refuses %s and writes nothing", async (_what, overrides, code, message) => {
    const before = await count();
    await expect(
      (async () => store.create(checkCreateDeployment(request(overrides), noImageProblem)))(),
    ).rejects.toMatchObject({
      code,
      rawMessage: expect.stringMatching(message),
    });
    expect(await count()).toBe(before);
  });
});

describe("list", () => {
  it("pages newest first, filters by environment, and rejects foreign tokens", async () => {
    const all: string[] = [];
    let token = "";
    do {
      const page = await store.list({ projectId, environmentSlug: "", pageSize: 2, pageToken: token });
      expect(page.deployments.length).toBeLessThanOrEqual(2);
      all.push(...page.deployments.map((d) => d.id));
      token = page.nextPageToken;
    } while (token);
    expect(all).toHaveLength(await count());
    expect([...all].sort().reverse()).toEqual(all); // ids are time-ordered, like sequences
    const preview = await store.list({ projectId, environmentSlug: "preview", pageSize: 0, pageToken: "" });
    expect(preview.deployments.every((d) => d.environment_slug === "preview")).toBe(true);
    await expect(
      store.list({ projectId, environmentSlug: "", pageSize: 2, pageToken: "garbage" }),
    ).rejects.toMatchObject({ code: Code.InvalidArgument });
    await expect(store.list({ projectId, environmentSlug: "", pageSize: 101, pageToken: "" })).rejects.toMatchObject({
      code: Code.InvalidArgument,
    });
  });
});

describe("event feed", () => {
  const wakers = new Map<string, Set<() => void>>();
  const wakeups: Wakeups = {
    subscribe(id, wake) {
      const set = wakers.get(id) ?? new Set();
      set.add(wake);
      wakers.set(id, set);
      return () => set.delete(wake);
    },
  };
  const wake = (id: string) => wakers.get(id)?.forEach((w) => w());

  it("streams past and new events, ends when terminal, and resumes after an event id", async () => {
    const { deployment } = await store.create(checkCreateDeployment(request({ branch: "feed" }), noImageProblem));
    await appendDeploymentEvent(pool, deployment.id, "step", { name: "load-metadata", state: "started", attempt: 1 });
    const seen: string[] = [];
    const ids: bigint[] = [];
    const controller = new AbortController();
    const reading = (async () => {
      for await (const event of deploymentEvents(pool, wakeups, deployment.id, 0n, controller.signal, {
        pollMs: 5_000,
      })) {
        seen.push(
          event.kind === "status" ? `status:${String(event.payload.status)}` : `step:${String(event.payload.name)}`,
        );
        ids.push(event.id);
      }
    })();
    await new Promise((r) => setTimeout(r, 50));
    expect(await setDeploymentStatus(pool, { id: deployment.id, status: "deploying" })).toBe(true);
    wake(deployment.id);
    expect(await setDeploymentStatus(pool, { id: deployment.id, status: "deploying" })).toBe(false); // no second event
    expect(await setDeploymentStatus(pool, { id: deployment.id, status: "ready" })).toBe(true);
    wake(deployment.id);
    await reading;
    expect(seen).toEqual(["step:load-metadata", "status:deploying", "status:ready"]);

    const resumed: bigint[] = [];
    for await (const event of deploymentEvents(pool, wakeups, deployment.id, ids[0]!, controller.signal))
      resumed.push(event.id);
    expect(resumed).toEqual(ids.slice(1));
  });

  it("never leaves a terminal status when told where it may come from", async () => {
    const { deployment } = await store.create(checkCreateDeployment(request({ branch: "terminal" }), noImageProblem));
    await setDeploymentStatus(pool, { id: deployment.id, status: "failed", reason: "boom", failedStep: "wait-ready" });
    expect(await setDeploymentStatus(pool, { id: deployment.id, status: "ready", from: ["network"] })).toBe(false);
    const row = await store.get(deployment.id);
    expect(row).toMatchObject({ status: "failed", failure_reason: "boom", failed_step: "wait-ready" });
  });

  it("ends when the deploy run is paused (waiting for an operator), after the events so far", async () => {
    const { deployment } = await store.create(checkCreateDeployment(request({ branch: "paused" }), noImageProblem));
    await pool.query(
      `INSERT INTO workflow_runs (id, kind, key, input, input_hash, status, error) VALUES ($1, 'deploy', $2, '{}', 'x', 'paused', 'step assign-routes failed after 20 attempt(s)')`,
      [deployment.workflow_id, deployment.project_id],
    );
    await appendDeploymentEvent(pool, deployment.id, "step", { name: "assign-routes", state: "failed", attempt: 20 });
    const seen: string[] = [];
    for await (const event of deploymentEvents(pool, wakeups, deployment.id, 0n, new AbortController().signal, {
      pollMs: 60_000,
    })) {
      seen.push(String(event.payload.state));
    }
    expect(seen).toEqual(["failed"]);
  });

  it("a claimed cancel and the move to NETWORK exclude each other", async () => {
    const a = (await store.create(checkCreateDeployment(request({ branch: "race-a" }), noImageProblem))).deployment;
    await setDeploymentStatus(pool, { id: a.id, status: "deploying" });
    expect(await claimDeploymentCancel(pool, a.id, "cancelled by test")).toBe(true);
    expect(
      await setDeploymentStatus(pool, {
        id: a.id,
        status: "network",
        from: ["deploying"],
        unlessCancelRequested: true,
      }),
    ).toBe(false);

    const b = (await store.create(checkCreateDeployment(request({ branch: "race-b" }), noImageProblem))).deployment;
    await setDeploymentStatus(pool, { id: b.id, status: "deploying" });
    expect(
      await setDeploymentStatus(pool, {
        id: b.id,
        status: "network",
        from: ["deploying"],
        unlessCancelRequested: true,
      }),
    ).toBe(true);
    expect(await claimDeploymentCancel(pool, b.id, "too late")).toBe(false);

    // Both at once, many times: exactly one wins each time.
    for (let i = 0; i < 20; i++) {
      const c = (await store.create(checkCreateDeployment(request({ branch: `race-${i}` }), noImageProblem)))
        .deployment;
      await setDeploymentStatus(pool, { id: c.id, status: "deploying" });
      const [cancelled, routed] = await Promise.all([
        claimDeploymentCancel(pool, c.id, "race"),
        setDeploymentStatus(pool, { id: c.id, status: "network", from: ["deploying"], unlessCancelRequested: true }),
      ]);
      expect(cancelled !== routed).toBe(true);
    }
  });
});
