import { create } from "@bufbuild/protobuf";
import { type SentinelRoutes, SentinelTargetSchema } from "@hydra/proto/hydra/v1";
import { SnapshotChunker } from "./snapshot-chunker";

const sentinel = (host: string) =>
  create(SentinelTargetSchema, { region: "r0", serviceHost: host, servicePort: 80, externalAddress: "" });
/** A chunk as `sentinel host: deployment=hostnames…`, for comparing. */
const show = (chunk: SentinelRoutes[]) =>
  chunk.map(
    (s) =>
      `${s.sentinel?.serviceHost}: ${s.deployments.map((d) => `${d.deploymentId}=${d.hostnames.join(",")}`).join(" ")}`,
  );

describe("SnapshotChunker", () => {
  it("groups a chunk by sentinel, then deployment; a deployment continues in the next chunk", () => {
    const chunker = new SnapshotChunker(4);
    chunker.add("dep_a", sentinel("s1"), ["a1", "a2"]);
    chunker.add("dep_b", sentinel("s2"), ["b1"]);
    chunker.add("dep_c", sentinel("s1"), ["c1", "c2", "c3"]);
    expect(chunker.takeFull().map(show)).toEqual([["s1: dep_a=a1,a2 dep_c=c1", "s2: dep_b=b1"]]);
    expect(chunker.takeFull()).toEqual([]);
    expect(show(chunker.finish())).toEqual(["s1: dep_c=c2,c3"]);
  });

  it("seals a full chunk only when more hostnames come: the last chunk is the one `finish` returns", () => {
    const chunker = new SnapshotChunker(2);
    chunker.add("dep_a", sentinel("s1"), ["a1", "a2"]);
    expect(chunker.takeFull()).toEqual([]);
    expect(show(chunker.finish())).toEqual(["s1: dep_a=a1,a2"]);
    expect(new SnapshotChunker(2).finish()).toEqual([]);
  });

  it("splits a deployment larger than several chunks", () => {
    const chunker = new SnapshotChunker(2);
    chunker.add("dep_a", sentinel("s1"), ["a1", "a2", "a3", "a4", "a5"]);
    expect([...chunker.takeFull(), chunker.finish()].map(show)).toEqual([
      ["s1: dep_a=a1,a2"],
      ["s1: dep_a=a3,a4"],
      ["s1: dep_a=a5"],
    ]);
  });
});
