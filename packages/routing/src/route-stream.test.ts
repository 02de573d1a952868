import type { PoolClient } from "@hydra/db";
import type { WatchRoutesResponse } from "@hydra/proto/hydra/v1";
import { DomainSticky } from "@hydra/proto/hydra/v1";
import { useCoreHarness } from "./core-harness";
import { renameDomains } from "./rename-domains";
import { RouteTable } from "./route-table";
import { RouteSequencer } from "./route-sequencer";
import { watchRoutes, type RouteStreamOptions } from "./route-stream";
import { RouteChangeWakeups } from "./route-wakeups";
import { findRouteStreamHead } from "./sql/findRouteStreamHead";
import { listRouteChanges } from "./sql/listRouteChanges";
import { pruneRouteChanges } from "./sql/pruneRouteChanges";
import { recordRouteChange } from "./sql/recordRouteChange";
import { sequenceRouteChanges } from "./sql/sequenceRouteChanges";
import { createDeploymentFixture, createProjectFixture, gatewayConfigFor } from "./testing";

const h = useCoreHarness("routing_route_stream");
let wakeups: RouteChangeWakeups;
let options: RouteStreamOptions;

beforeAll(async () => {
  wakeups = new RouteChangeWakeups(h.pool);
  await wakeups.start();
  options = {
    pool: h.pool,
    wakeups,
    sequencer: new RouteSequencer(h.pool),
    isLocal: (name) => h.core.isLocal(name),
    heartbeatMs: 200,
    pageSize: 3,
  };
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

it("a snapshot groups hostnames by sentinel and deployment, in chunks of at most pageSize hostnames; only the last says so", async () => {
  const dep = await createDeploymentFixture(h.pool, h.project);
  const names = ["g1", "g2", "g3", "g4", "g5"].map((label) => h.apex(label));
  await h.assign({ deploymentId: dep.id, domains: names.map((name) => ({ name, sticky: DomainSticky.BRANCH })) });
  const stream = watch();
  await stream.until("the snapshot", () => stream.table.position > 0n);
  const chunks = stream.received.flatMap((m) => (m.event.case === "snapshot" ? [m.event.value] : []));
  expect(chunks.map((c) => c.last)).toEqual([...Array<boolean>(chunks.length - 1).fill(false), true]);
  for (const chunk of chunks) {
    expect(chunk.position).toBe(stream.table.position);
    const hostnames = chunk.sentinels.flatMap((s) => s.deployments.flatMap((d) => d.hostnames));
    expect(hostnames.length).toBeLessThanOrEqual(options.pageSize!);
    // A sentinel once a chunk.
    const sentinels = chunk.sentinels.map((s) => JSON.stringify(s.sentinel));
    expect(new Set(sentinels).size).toBe(sentinels.length);
    expect(chunk.sentinels.every((s) => s.sentinel?.region === "r0")).toBe(true);
  }
  // The deployment's five hostnames (pageSize 3): continued in the next chunk.
  const parts = chunks
    .flatMap((c) => c.sentinels.flatMap((s) => s.deployments))
    .filter((d) => d.deploymentId === dep.id);
  expect(parts.flatMap((d) => d.hostnames).sort()).toEqual([...names].sort());
  expect(parts.length).toBeGreaterThanOrEqual(2);
  expect(tableOf(stream.table)).toEqual(await servedRoutes());
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

describe("the outbox trap: a transaction that takes its number first and commits last is never skipped", () => {
  async function begin(): Promise<PoolClient> {
    const client = await h.pool.connect();
    await client.query("BEGIN");
    return client;
  }
  async function end(...clients: PoolClient[]): Promise<void> {
    for (const client of clients) {
      await client.query("ROLLBACK").catch(() => {});
      client.release();
    }
  }
  const change = (name: string) => [{ hostname: h.apex(name), deploymentId: "dep_1", config: {} }];
  const positionsAfter = async (head: bigint) =>
    (await listRouteChanges(h.pool, head, 10)).map((r) => [r.position, r.routing_generation]);

  it.each<[string, "COMMIT" | "ROLLBACK"]>([
    ["commits", "COMMIT"],
    ["rolls back", "ROLLBACK"],
  ])(
    "routing transactions do not wait for each other; the first to number its change %s after the second committed",
    async (_name, firstOutcome) => {
      const head = (await sequenceRouteChanges(h.pool)).head;
      const first = await begin();
      const second = await begin();
      try {
        // Both write their change at once: neither waits for the other's commit.
        const firstId = await recordRouteChange(first, h.project.projectId, 1n, change("first"));
        const secondId = await recordRouteChange(second, h.project.projectId, 2n, change("second"));
        expect(secondId).toBeGreaterThan(firstId);
        await second.query("COMMIT");
        // The first is still open: only the second gets a position, and readers see only it.
        expect(await sequenceRouteChanges(h.pool)).toEqual({ head: head + 1n, sequenced: 1 });
        expect(await positionsAfter(head)).toEqual([[head + 1n, 2n]]);
        await first.query(firstOutcome);
        // The late commit comes after what was already read, never below it; a rollback never appears.
        expect(await sequenceRouteChanges(h.pool)).toEqual(
          firstOutcome === "COMMIT" ? { head: head + 2n, sequenced: 1 } : { head: head + 1n, sequenced: 0 },
        );
        expect(await positionsAfter(head)).toEqual(
          firstOutcome === "COMMIT"
            ? [
                [head + 1n, 2n],
                [head + 2n, 1n],
              ]
            : [[head + 1n, 2n]],
        );
      } finally {
        await end(first, second);
      }
    },
  );

  it("a watcher that already read past a change's number still receives it when it commits late", async () => {
    const stream = watch();
    await stream.until("the snapshot", () => stream.table.position > 0n || stream.received.length > 0);
    const first = await begin();
    const second = await begin();
    try {
      await recordRouteChange(first, h.project.projectId, 1n, change("late"));
      await recordRouteChange(second, h.project.projectId, 2n, change("early"));
      await second.query("COMMIT");
      await stream.until("the early commit", () => stream.changes().length === 1);
      await first.query("COMMIT");
      await stream.until("the late commit", () => stream.changes().length === 2);
      const [early, late] = stream.changes();
      expect([early!.routingGeneration, late!.routingGeneration]).toEqual([2n, 1n]);
      expect(late!.position).toBe(early!.position + 1n);
      expect(late!.removedHostnames).toEqual([h.apex("late")]);
    } finally {
      await end(first, second);
      await stream.stop();
    }
  });

  it("a snapshot taken while changes wait for their position includes them, and the stream continues right after", async () => {
    const dep = await createDeploymentFixture(h.pool, h.project);
    const name = h.apex("unsequenced");
    // No stream is open, so nothing sequences this commit.
    await h.assign({ deploymentId: dep.id, domains: [{ name, sticky: DomainSticky.BRANCH }] });
    const { rows } = await h.pool.query<{ waiting: number }>(
      "SELECT count(*)::int AS waiting FROM route_changes WHERE position IS NULL",
    );
    expect(rows[0]!.waiting).toBeGreaterThan(0);
    const stream = watch();
    await stream.until("the snapshot", () => stream.table.routes.has(name));
    const snapshotAt = stream.table.position;
    expect(snapshotAt).toBe(await findRouteStreamHead(h.pool));
    const other = await createDeploymentFixture(h.pool, h.project);
    await h.assign({ deploymentId: other.id, domains: [{ name, sticky: DomainSticky.BRANCH }] });
    await stream.until("the next change", () => stream.changes().length === 1);
    expect(stream.changes()[0]!.position).toBe(snapshotAt + 1n);
    expect(stream.table.routes.get(name)?.deploymentId).toBe(other.id);
    await stream.stop();
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
  await options.sequencer.catchUp();
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
