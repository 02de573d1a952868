import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { namespaceName } from "./names";
import { SimulatedDriver } from "./simulated";

const ids = {
  workspaceId: "ws_01h455vb4pex5vsknk084sn02q",
  projectId: "prj_01h455vb4pex5vsknk084sn02q",
  environmentId: "env_01h455vb4pex5vsknk084sn02q",
};

describe("simulated driver with a state file", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "hydra-sim-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("outlives a restart like a real cluster: objects, resourceVersions and pods are still there", async () => {
    const statePath = path.join(dir, "cluster.json");
    const namespace = namespaceName(ids.workspaceId);
    const first = new SimulatedDriver({ regions: ["local"], readyMs: 0, statePath });
    await first.ensureNamespace("local", namespace);
    const applied = await first.applyWorkload("local", {
      ...ids,
      deploymentId: "dep_01h455vb4pex5vsknk084sn02q",
      namespace,
      image: "nginx:1.27",
      replicas: 2,
    });
    const before = await first.waitReady("local", applied, 2, { deadline: new Date(Date.now() + 5_000) });
    await first.close();

    // A new process: same file.
    const second = new SimulatedDriver({ regions: ["local"], readyMs: 0, statePath });
    const after = await second.waitReady("local", applied, 2, { deadline: new Date(Date.now() + 5_000) });
    expect(after).toEqual(before);
    const again = await second.applyWorkload("local", {
      ...ids,
      deploymentId: "dep_01h455vb4pex5vsknk084sn02q",
      namespace,
      image: "nginx:1.27",
      replicas: 2,
    });
    expect(again.resourceVersion).toEqual(applied.resourceVersion); // unchanged apply, even across the restart
    await second.scale("local", applied, 0);
    const third = new SimulatedDriver({ regions: ["local"], readyMs: 0, statePath });
    expect(await third.waitReady("local", applied, 0, { deadline: new Date(Date.now() + 1_000) })).toEqual([]);
  });

  it("keeps nothing without a state file", async () => {
    const namespace = namespaceName(ids.workspaceId);
    const first = new SimulatedDriver({ regions: ["local"], readyMs: 0 });
    await first.ensureNamespace("local", namespace);
    const second = new SimulatedDriver({ regions: ["local"], readyMs: 0 });
    await expect(
      second.applyWorkload("local", {
        ...ids,
        deploymentId: "dep_01h455vb4pex5vsknk084sn02q",
        namespace,
        image: "nginx:1.27",
        replicas: 1,
      }),
    ).rejects.toMatchObject({ code: "not_found", kind: "not_found" });
  });
});
