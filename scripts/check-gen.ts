// Fails when gen/ is not exactly what `buf generate` makes from proto/ now.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const root = path.resolve(__dirname, "..");
const out = mkdtempSync(path.join(tmpdir(), "hydra-gen-"));
try {
  execFileSync(path.join(root, "node_modules/.bin/buf"), ["generate", "-o", out], { cwd: root, stdio: "inherit" });
  try {
    execFileSync("diff", ["-r", path.join(out, "gen"), path.join(root, "gen")], { stdio: "inherit" });
  } catch {
    console.error("gen/ is out of date: run `pnpm generate` and commit gen/");
    process.exit(1);
  }
  console.log("gen/ is current");
} finally {
  rmSync(out, { recursive: true, force: true });
}
