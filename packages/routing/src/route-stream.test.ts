import type { PoolClient } from "@hydra/db";
import type { WatchRoutesResponse } from "@hydra/proto/hydra/v1";
import { DomainSticky } from "@hydra/proto/hydra/v1";
import { useCoreHarness } from "./core-harness";
import { renameDomains } from "./rename-domains";
import { RouteTable } from "./route-table";
import { watchRoutes, type RouteStreamOptions } from "./route-stream";
import { RouteChangeWakeups } from "./route-wakeups";
import { findRouteStreamHead } from "./sql/findRouteStreamHead";
import { listRouteChanges } from "./sql/listRouteChanges";
import { pruneRouteChanges } from "./sql/pruneRouteChanges";
import { recordRouteChange } from "./sql/recordRouteChange";
import { createDeploymentFixture, createProjectFixture, gatewayConfigFor } from "./testing";

const h = useCoreHarness("routing_route_stream");
let wakeups: RouteChangeWakeups;
let options: RouteStreamOptions;

beforeAll(async () => {
  wakeups = new RouteChangeWakeups(h.pool);
  await wakeups.start();
  options = { pool: h.pool, wakeups, isLocal: (name) => h.core.isLocal(name), heartbeatMs: 200, pageSize: 3 };
});
afterAll(async () => {
  await wakeups.stop();
});

/** A running WatchRoutes stream read into a list, with a way to wait for what it has received. */
function watch(afterPosition = 0n, region = "r0") {
  const controller = new AbortController();
  const received: WatchRoutesResponse[] = [];
  const table = new RouteTable(afterPosition);
  const done = (async () => {
    for await (const message of watchRoutes(options, { region, afterPosition }, controller.signal)) {
      received.push(message);
      table.apply(message);
    }
  })();
  const until = async (what: string, check: () => boolean, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${what}; received ${received.map((m) => m.event.case).join(",")}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  return {
    received,
    table,
    until,
    changes: () =>
      received
        .filter((m) => m.event.case === "change")
        .map((m) => m.event.value as Extract<WatchRoutesResponse["event"], { case: "change" }>["value"]),
    stop: async () => {
      controller.abort();
      await done;
    },
  };
}

async function servedRoutes(region = "r0"): Promise<Record<string, string>> {
  const { rows } = await h.pool.query<{
    hostname: string;
    deployment_id: string;
    config: { sentinels: Array<{ region: string }> };
  }>("SELECT hostname, deployment_id, config FROM gateway_configs");
  return Object.fromEntries(
    rows.filter((r) => r.config.sentinels.some((s) => s.region === region)).map((r) => [r.hostname, r.deployment_id]),
  );
}
const tableOf = (table: RouteTable) =>
  Object.fromEntries([...table.routes].map(([hostname, route]) => [hostname, route.deploymentId]));

it("a snapshot at a position, then one message per routing commit: a SwitchDomains of three hostnames is one change", async () => {
  const a = await createDeploymentFixture(h.pool, h.project);
  const b = await createDeploymentFixture(h.pool, h.project);
  const names = [h.apex("one"), h.apex("two"), h.apex("three")];
  const domains = names.map((name) => ({ name, sticky: DomainSticky.ENVIRONMENT }));
  await h.assign({ deploymentId: a.id, domains });
  await h.assign({ deploymentId: b.id, domains: [] });
  const stream = watch();
  await stream.until("the snapshot", () => stream.table.position > 0n);
  for (const name of names) expect(stream.table.routes.get(name)?.deploymentId).toBe(a.id);
  const snapshotAt = stream.table.position;

  const switched = await h.switchTo({ targetDeploymentId: b.id, domainIds: await h.domainIds(names) });
  await stream.until("the switch", () => stream.changes().length === 1);
  const [change] = stream.changes();
  expect(change!.position).toBe(snapshotAt + 1n);
  expect(change!.routes.map((r) => [r.hostname, r.deploymentId]).sort()).toEqual(names.map((n) => [n, b.id]).sort());
  expect(change!.routingGeneration).toBe(switched.routingGeneration);
  expect(change!.projectId).toBe(h.project.projectId);
  expect(change!.routes[0]!.sentinel?.region).toBe("r0");
  await stream.until("a heartbeat", () => stream.received.some((m) => m.event.case === "heartbeat"));
  await stream.stop();
});

it("a change is in the stream if and only if it committed", async () => {
  const other = await createProjectFixture(h.pool);
  const theirs = await createDeploymentFixture(h.pool, other);
  const mine = await createDeploymentFixture(h.pool, h.project);
  await h.assign({ deploymentId: mine.id, domains: [{ name: h.apex("mine"), sticky: DomainSticky.BRANCH }] });
  const head = await findRouteStreamHead(h.pool);
  // Refused after it upserted the gateway config of a claimed name: the transaction rolls back, outbox included.
  await expect(
    h.core.assignDomains(
      h.assignRequest({
        deploymentId: theirs.id,
        workspaceId: other.workspaceId,
        projectId: other.projectId,
        environmentId: other.productionId,
        domains: [{ name: h.apex("mine"), sticky: DomainSticky.BRANCH }],
      }),
    ),
  ).rejects.toMatchObject({ code: "permission_denied" });
  expect(await findRouteStreamHead(h.pool)).toBe(head);
  expect(await listRouteChanges(h.pool, head, 10)).toEqual([]);
});

describe("the outbox trap: a transaction that takes a position and commits late is never skipped", () => {
  async function begin(): Promise<PoolClient> {
    const client = await h.pool.connect();
    await client.query("BEGIN");
    return client;
  }
  async function waitingOnLock(applicationName: string): Promise<boolean> {
    const { rows } = await h.pool.query(
      "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%route_stream_head%' AND application_name = $1",
      [applicationName],
    );
    return rows.length > 0;
  }

  it.each<[string, "COMMIT" | "ROLLBACK"]>([
    ["the first commits", "COMMIT"],
    ["the first rolls back", "ROLLBACK"],
  ])("two concurrent transactions, %s: the second waits, then takes the next position", async (_name, firstOutcome) => {
    const head = await findRouteStreamHead(h.pool);
    const first = await begin();
    const second = await begin();
    try {
      await second.query("SET application_name = 'outbox_second'");
      const firstPosition = await recordRouteChange(first, h.project.projectId, 1n, [
        { hostname: h.apex("first"), deploymentId: "dep_1", config: {} },
      ]);
      expect(firstPosition).toBe(head + 1n);
      // The second transaction cannot take a position (nor commit past the first) while the first is open.
      const secondPosition = recordRouteChange(second, h.project.projectId, 2n, [
        { hostname: h.apex("second"), deploymentId: "dep_2", config: {} },
      ]);
      const deadline = Date.now() + 10_000;
      while (!(await waitingOnLock("outbox_second"))) {
        if (Date.now() > deadline) throw new Error("the second transaction never waited on the stream head");
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(await listRouteChanges(h.pool, head, 10)).toEqual([]);
      await first.query(firstOutcome);
      const expected = firstOutcome === "COMMIT" ? head + 2n : head + 1n;
      expect(await secondPosition).toBe(expected);
      // Until the second commits, readers see at most the first: never a later position before an earlier one.
      expect((await listRouteChanges(h.pool, head, 10)).map((r) => r.position)).toEqual(
        firstOutcome === "COMMIT" ? [head + 1n] : [],
      );
      await second.query("COMMIT");
      expect((await listRouteChanges(h.pool, head, 10)).map((r) => r.position)).toEqual(
        firstOutcome === "COMMIT" ? [head + 1n, head + 2n] : [head + 1n],
      );
    } finally {
      await first.query("ROLLBACK").catch(() => {});
      await second.query("ROLLBACK").catch(() => {});
      first.release();
      second.release();
    }
  });
});

it("concurrent commits of several projects reach a watcher complete, in order, once each; a resumed watcher continues without gap", async () => {
  const projects = await Promise.all(Array.from({ length: 4 }, () => createProjectFixture(h.pool)));
  const stream = watch();
  await stream.until("the snapshot", () =>
    stream.received.some((m) => m.event.case === "snapshot" && m.event.value.last),
  );
  await Promise.all(
    projects.map(async (project, p) => {
      const deployments = await Promise.all([0, 1].map(() => createDeploymentFixture(h.pool, project)));
      const names = [0, 1, 2].map((i) => `c${i}-${project.projectId.slice(-8)}.hydra.test`);
      for (const [i, deployment] of [...deployments, ...deployments, ...deployments].entries()) {
        await h.core.assignDomains(
          h.assignRequest({
            workspaceId: project.workspaceId,
            projectId: project.projectId,
            environmentId: project.productionId,
            deploymentId: deployment.id,
            gatewayConfig: gatewayConfigFor(deployment.id, 1 + ((i + p) % 2)),
            domains: names.map((name) => ({ name, sticky: DomainSticky.BRANCH })),
          }),
        );
        if (i >= 1)
          await h.switchTo({ targetDeploymentId: deployments[(i + 1) % 2]!.id, domainIds: await h.domainIds(names) });
      }
    }),
  );
  const head = await findRouteStreamHead(h.pool);
  await stream.until("every change", () => stream.table.position === head);
  expect(tableOf(stream.table)).toEqual(await servedRoutes());
  const positions = stream.changes().map((c) => c.position);
  expect(positions).toEqual(Array.from({ length: positions.length }, (_, i) => positions[0]! + BigInt(i)));

  // Resume from the middle: exactly the changes after that position.
  const middle = positions[Math.floor(positions.length / 2)]!;
  const resumed = watch(middle);
  await resumed.until("catching up", () => resumed.table.position === head);
  expect(resumed.received.some((m) => m.event.case === "snapshot")).toBe(false);
  expect(resumed.changes().map((c) => c.position)).toEqual(positions.filter((p) => p > middle));
  await Promise.all([stream.stop(), resumed.stop()]);
});

it.each<[string, () => Promise<bigint>, RegExp]>([
  ["ahead of the head", async () => (await findRouteStreamHead(h.pool)) + 100n, /ahead of this stream's head/],
  [
    "older than the kept history",
    async () => {
      const head = await findRouteStreamHead(h.pool);
      await pruneRouteChanges(h.pool, head);
      return head - 1n;
    },
    /was pruned/,
  ],
])("a position %s resumes with a snapshot that says why", async (_name, position, reason) => {
  const dep = await createDeploymentFixture(h.pool, h.project);
  await h.assign({ deploymentId: dep.id, domains: [{ name: h.apex("resume"), sticky: DomainSticky.BRANCH }] });
  const stream = watch(await position());
  await stream.until("the snapshot", () =>
    stream.received.some((m) => m.event.case === "snapshot" && m.event.value.last),
  );
  const first = stream.received[0]!;
  expect(first.event.case === "snapshot" && first.event.value.reason).toMatch(reason);
  expect(tableOf(stream.table)).toEqual(await servedRoutes());
  await stream.stop();
});

it("routes only the requested region's sentinel; a hostname without one there is removed", async () => {
  const a = await createDeploymentFixture(h.pool, h.project);
  const b = await createDeploymentFixture(h.pool, h.project);
  const name = h.apex("regional");
  await h.assign({
    deploymentId: a.id,
    gatewayConfig: gatewayConfigFor(a.id, 2),
    domains: [{ name, sticky: DomainSticky.ENVIRONMENT }],
  });
  const r1 = watch(0n, "r1");
  await r1.until("the snapshot", () => r1.table.routes.has(name));
  expect(r1.table.routes.get(name)?.sentinel?.region).toBe("r1");
  await h.assign({
    deploymentId: b.id,
    gatewayConfig: gatewayConfigFor(b.id, 1),
    domains: [{ name, sticky: DomainSticky.ENVIRONMENT }],
  });
  await r1.until("the removal", () => !r1.table.routes.has(name));
  expect(r1.changes().at(-1)?.removedHostnames).toEqual([name]);
  await r1.stop();
});

it("a start-time rename reaches the edge as one change: old names removed, new names routed", async () => {
  const dep = await createDeploymentFixture(h.pool, h.project);
  const [from, to, dropped, kept] = [h.apex("old"), h.apex("new"), h.apex("dropped"), h.apex("kept")];
  await h.assign({
    deploymentId: dep.id,
    domains: [from, dropped, kept].map((name) => ({ name, sticky: DomainSticky.BRANCH })),
  });
  const stream = watch();
  await stream.until("the snapshot", () => stream.table.routes.has(from));
  await renameDomains(h.pool, h.project.projectId, [
    { from, to },
    { from: dropped, to: kept },
  ]);
  await stream.until("the rename", () => stream.changes().length === 1);
  const [change] = stream.changes();
  expect(change!.routes.map((r) => r.hostname)).toEqual([to]);
  expect(change!.removedHostnames.sort()).toEqual([from, dropped].sort());
  expect(tableOf(stream.table)).toEqual(await servedRoutes());
  await stream.stop();
});
