import { create } from "@bufbuild/protobuf";
import { WatchRoutesResponseSchema } from "@hydra/proto/hydra/v1";
import { RouteStreamGapError, RouteTable } from "./route-table";

const sentinel = { region: "local", serviceHost: "s", servicePort: 80 };
const route = (hostname: string, deploymentId: string) => ({ hostname, deploymentId, sentinel });
const snapshot = (position: bigint, hostnames: string[], last: boolean, deploymentId = "dep_s") =>
  create(WatchRoutesResponseSchema, {
    event: {
      case: "snapshot",
      value: { position, last, sentinels: [{ sentinel, deployments: [{ deploymentId, hostnames }] }] },
    },
  });
const change = (position: bigint, routes: Array<[string, string]>, removedHostnames: string[] = []) =>
  create(WatchRoutesResponseSchema, {
    event: { case: "change", value: { position, routes: routes.map(([h, d]) => route(h, d)), removedHostnames } },
  });

describe("RouteTable", () => {
  it("replaces the table only when the last snapshot chunk arrives", () => {
    const table = new RouteTable();
    table.apply(snapshot(4n, ["old.example"], true));
    expect(table.apply(snapshot(9n, ["a.example"], false))).toEqual({ kind: "pending" });
    expect([...table.routes.keys()]).toEqual(["old.example"]);
    expect(table.apply(snapshot(9n, ["b.example"], true))).toMatchObject({ kind: "snapshot", position: 9n });
    expect([...table.routes.keys()].sort()).toEqual(["a.example", "b.example"]);
    expect(table.position).toBe(9n);
  });

  it("routes every hostname of a deployment to its target, a deployment continuing across chunks", () => {
    const table = new RouteTable();
    table.apply(snapshot(3n, ["a.example", "b.example"], false, "dep_a"));
    table.apply(snapshot(3n, ["c.example"], true, "dep_a"));
    expect(Object.fromEntries([...table.routes].map(([h, r]) => [h, r.deploymentId]))).toEqual({
      "a.example": "dep_a",
      "b.example": "dep_a",
      "c.example": "dep_a",
    });
    expect(table.routes.get("a.example")?.sentinel?.serviceHost).toBe("s");
    expect(table.routes.get("a.example")).toBe(table.routes.get("b.example"));
  });

  it("drops the chunks of a snapshot broken off when one of another position starts", () => {
    const table = new RouteTable();
    table.apply(snapshot(5n, ["gone.example"], false));
    table.apply(snapshot(7n, ["a.example"], true));
    expect([...table.routes.keys()]).toEqual(["a.example"]);
    expect(table.position).toBe(7n);
  });

  it("applies each change as a whole, in position order", () => {
    const table = new RouteTable();
    table.apply(snapshot(1n, ["a.example", "b.example"], true));
    table.apply(
      change(
        2n,
        [
          ["a.example", "dep_x"],
          ["c.example", "dep_x"],
        ],
        ["b.example"],
      ),
    );
    expect(Object.fromEntries([...table.routes].map(([h, r]) => [h, r.deploymentId]))).toEqual({
      "a.example": "dep_x",
      "c.example": "dep_x",
    });
    expect(table.position).toBe(2n);
  });

  it.each<[string, bigint]>([
    ["a skipped position", 4n],
    ["a duplicate", 2n],
  ])("refuses %s", (_name, position) => {
    const table = new RouteTable(2n);
    expect(() => table.apply(change(position, []))).toThrow(RouteStreamGapError);
    expect(table.position).toBe(2n);
  });
});
