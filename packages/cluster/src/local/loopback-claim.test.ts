import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { claimLoopbackBase, releaseLoopbackOctets } from "./loopback-claim";

// Octets 230-239 are outside the blocks real local clusters use (16-163), so these claims
// never meet a cluster another test file runs at the same time.
const claimFile = (octet: number) => path.join(tmpdir(), "hydra-loopback-claims", String(octet));
const range = { min: 230, max: 232 };

afterEach(() => releaseLoopbackOctets([230, 231, 232, 233, 234, 235]));

describe("loopback block claims", () => {
  it("gives two clusters of one process different blocks, and none when all are held", () => {
    const a = claimLoopbackBase([0], range);
    const b = claimLoopbackBase([0], range);
    expect(new Set([a, b])).toEqual(new Set([230, 231]));
    expect(() => claimLoopbackBase([0], range)).toThrow(/no free loopback block/);
  });

  it("claims every octet of a block or none of it", () => {
    claimLoopbackBase([0], { min: 233, max: 234 }); // holds 233
    // Base 232 needs 232 and 233: refused as a whole, so 232 is not left held.
    expect(() => claimLoopbackBase([0, 1], { min: 232, max: 233 })).toThrow(/no free loopback block/);
    expect(claimLoopbackBase([0], { min: 232, max: 233 })).toBe(232);
  });

  it("a released block is free again", () => {
    const a = claimLoopbackBase([0], { min: 234, max: 235 });
    releaseLoopbackOctets([a]);
    expect(claimLoopbackBase([0], { min: 234, max: 235 })).toBe(a);
  });

  it("takes a block whose holder is gone, not one a live process holds, unless it is the one its state names", () => {
    writeFileSync(claimFile(235), "999999999"); // no such process
    expect(claimLoopbackBase([0], { min: 235, max: 236 })).toBe(235);
    releaseLoopbackOctets([235]);
    writeFileSync(claimFile(235), "1"); // init: alive
    expect(() => claimLoopbackBase([0], { min: 235, max: 236 })).toThrow(/no free loopback block/);
    expect(claimLoopbackBase([0], { min: 235, max: 236 }, 235)).toBe(235);
  });
});
