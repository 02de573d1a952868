import { randomInt } from "node:crypto";
import { mkdirSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

/**
 * Claims of loopback address blocks (second octets of 127.x.y.z) across the processes of one
 * machine, so that two local clusters running at once (two test files, two `pnpm start`s)
 * never give an instance or a sentinel the same address: an instance's server would fail to
 * listen, and two nginx sentinels (`reuseport`) would silently share one address. A claim is
 * a file per octet naming the holder's pid; one whose holder is gone (killed) is free again,
 * so a deploy-svc restarted on its state file takes its old block back.
 */
const DIR = path.join(tmpdir(), "hydra-loopback-claims");
/** Octets held by this process (a pid alone cannot tell two drivers of one process apart). */
const heldHere = new Set<number>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function holder(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Takes one octet unless a live process (or another driver here) holds it. */
function take(octet: number, force: boolean): boolean {
  if (heldHere.has(octet)) return false;
  const file = path.join(DIR, String(octet));
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: "wx" });
      heldHere.add(octet);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const pid = holder(file);
      if (!force && pid !== undefined && pid !== process.pid && alive(pid)) return false;
      try {
        unlinkSync(file); // its holder is gone (or we insist): free it, then take it like anyone
      } catch {
        // someone else freed it first
      }
    }
  }
  return false;
}

export function releaseLoopbackOctets(octets: readonly number[]): void {
  for (const octet of octets) {
    if (!heldHere.delete(octet)) continue;
    const file = path.join(DIR, String(octet));
    if (holder(file) === process.pid) {
      try {
        unlinkSync(file);
      } catch {
        // already gone
      }
    }
  }
}

/**
 * Claims a base octet for a cluster whose addresses use `offsets` from it (its regions' pods
 * and sentinels): `preferred` when given (the block a restarted cluster's state names; taken
 * even from a live holder, since its pods keep their addresses), else a free one in
 * [min, max) — at random, then in order. Throws when every block is held.
 */
export function claimLoopbackBase(
  offsets: readonly number[],
  range: { min: number; max: number },
  preferred?: number,
): number {
  mkdirSync(DIR, { recursive: true });
  const tryBase = (base: number, force: boolean): boolean => {
    const taken: number[] = [];
    for (const offset of offsets) {
      if (!take(base + offset, force)) {
        releaseLoopbackOctets(taken);
        return false;
      }
      taken.push(base + offset);
    }
    return true;
  };
  if (preferred !== undefined && tryBase(preferred, true)) return preferred;
  for (let attempt = 0; attempt < 20; attempt++) {
    const base = randomInt(range.min, range.max);
    if (tryBase(base, false)) return base;
  }
  for (let base = range.min; base < range.max; base++) if (tryBase(base, false)) return base;
  throw new Error(`no free loopback block in 127.${range.min}-${range.max - 1}.*.* (claims in ${DIR})`);
}
