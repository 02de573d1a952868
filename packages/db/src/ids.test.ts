import { ID_PREFIX, isId, newId, type IdKind } from "./ids";

describe("ids", () => {
  it.each(Object.keys(ID_PREFIX) as IdKind[])("%s ids carry their prefix and validate", (kind) => {
    const id = newId(kind);
    expect(id.startsWith(`${ID_PREFIX[kind]}_`)).toBe(true);
    expect(isId(kind, id)).toBe(true);
  });

  it("sorts by creation time", () => {
    const ids = Array.from({ length: 50 }, () => newId("deployment"));
    expect([...ids].sort()).toEqual(ids);
  });

  it.each([
    ["", "workspace"],
    ["ws_", "workspace"],
    ["prj_01h455vb4pex5vsknk084sn02q", "workspace"],
    ["ws_01H455VB4PEX5VSKNK084SN02Q", "workspace"],
    ["ws_01h455vb4pex5vsknk084sn02", "workspace"],
    ["ws_81h455vb4pex5vsknk084sn02q", "workspace"],
  ] as const)("rejects %j as a %s id", (id, kind) => {
    expect(isId(kind, id)).toBe(false);
  });
});
