import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort } from "../../../packages/routing/src/testing";
import { EdgeMaps } from "./edge-maps";
import { haproxyPaths, renderHaproxyConfig } from "./haproxy-config";
import { type RunningHaproxy, startOrAdoptHaproxy } from "./haproxy-process";

const haproxyInstalled = spawnSync("haproxy", ["-v"]).status === 0;
const describeWithHaproxy = haproxyInstalled ? describe : describe.skip;

describeWithHaproxy("EdgeMaps on a real HAProxy", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "hydra-edge-maps-"));
  const paths = haproxyPaths(dir);
  let haproxy: RunningHaproxy;
  let maps: EdgeMaps;

  beforeAll(async () => {
    const port = await freePort();
    haproxy = await startOrAdoptHaproxy({
      bin: "haproxy",
      paths,
      config: renderHaproxyConfig({ listen: { host: "127.0.0.1", port }, paths }),
    });
    maps = new EdgeMaps(haproxy.socket, paths);
  });
  afterAll(() => {
    if (haproxy) process.kill(haproxy.pid, "SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  });

  it("loads a snapshot larger than one CLI request into both maps, flipping the side once", async () => {
    const entries = new Map(
      Array.from({ length: 5_000 }, (_, i) => [`host-${i}.hydra.test`, `dep_${i % 7}/127.0.0.1/${8000 + (i % 7)}`]),
    );
    await maps.replaceAll(entries);
    expect((await haproxy.socket.showMap(paths.side)).get("active")).toBe("b");
    for (const map of [paths.mapA, paths.mapB]) expect(await haproxy.socket.showMap(map)).toEqual(entries);
  });

  it("applies upserts and removals to both maps; an adopting agent reads the same table", async () => {
    await maps.update(
      new Map([
        ["host-1.hydra.test", "dep_x/127.0.0.2/81"],
        ["new.hydra.test", "dep_y/127.0.0.3/82"],
      ]),
      ["host-2.hydra.test"],
    );
    for (const map of [paths.mapA, paths.mapB]) {
      const entries = await haproxy.socket.showMap(map);
      expect(entries.get("host-1.hydra.test")).toBe("dep_x/127.0.0.2/81");
      expect(entries.get("new.hydra.test")).toBe("dep_y/127.0.0.3/82");
      expect(entries.has("host-2.hydra.test")).toBe(false);
      expect(entries.size).toBe(5_000);
    }
    const adopted = new EdgeMaps(haproxy.socket, paths);
    await adopted.adopt();
    expect(adopted.size).toBe(5_000);
  });

  it("a snapshot is served whole from its first flip (onServing), before the other map catches up", async () => {
    const entries = new Map(
      Array.from({ length: 3_000 }, (_, i) => [`next-${i}.hydra.test`, `dep_${i % 5}/127.0.0.4/${9000 + (i % 5)}`]),
    );
    let servedAtFlip: Promise<[Map<string, string>, Map<string, string>]> | undefined;
    await maps.replaceAll(entries, () => {
      // Read the side map and the map it names the moment HAProxy serves the new table.
      servedAtFlip = haproxy.socket
        .showMap(paths.side)
        .then(async (side) => [
          side,
          await haproxy.socket.showMap(side.get("active") === "a" ? paths.mapA : paths.mapB),
        ]);
    });
    expect(servedAtFlip).toBeDefined();
    const [, served] = await servedAtFlip!;
    expect(served).toEqual(entries);
    for (const map of [paths.mapA, paths.mapB]) expect(await haproxy.socket.showMap(map)).toEqual(entries);
  });
});
