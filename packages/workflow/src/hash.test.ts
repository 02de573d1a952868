import { canonicalJson, inputHash } from "./hash";

describe("canonicalJson", () => {
  it.each([
    [{ b: 1, a: 2 }, '{"a":2,"b":1}'],
    [{ a: { d: [1, { z: 1, y: 2 }], c: null } }, '{"a":{"c":null,"d":[1,{"y":2,"z":1}]}}'],
    [{ a: undefined, b: 1 }, '{"b":1}'],
    [[undefined, 1], "[null,1]"],
    ["x", '"x"'],
    [undefined, "null"],
  ])("%j → %s", (value, expected) => {
    expect(canonicalJson(value)).toBe(expected);
  });

  it("hashes equal inputs equally whatever the key order", () => {
    expect(inputHash({ project: "p", image: "i" })).toBe(inputHash({ image: "i", project: "p" }));
    expect(inputHash({ project: "p" })).not.toBe(inputHash({ project: "q" }));
  });
});
