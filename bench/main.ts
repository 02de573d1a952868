// `pnpm bench` prints a table; `pnpm bench --json` one JSON object a line (SPEC §5).
// `pnpm bench <suite>…` runs only the named suites.
import type { Figure } from "./report";
import { SUITES } from "./suites";

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const json = args.includes("--json");
  const only = args.filter((a) => !a.startsWith("--"));
  const names = only.length ? only : Object.keys(SUITES);
  const unknown = names.filter((n) => !SUITES[n]);
  if (unknown.length)
    throw new Error(`unknown suite(s) ${unknown.join(", ")}; known: ${Object.keys(SUITES).join(", ")}`);
  const figures: Figure[] = [];
  for (const name of names) {
    const suite = await SUITES[name]!();
    if (!json) console.error(`running ${suite.name}…`);
    const got = await suite.run();
    figures.push(...got);
    for (const f of got) {
      if (json) console.log(JSON.stringify(f));
    }
  }
  if (!json) {
    const width = Math.max(...figures.map((f) => f.name.length), 4);
    console.log(`${"name".padEnd(width)}  ${"value".padStart(12)}  unit        baseline`);
    for (const f of figures) {
      console.log(`${f.name.padEnd(width)}  ${String(f.value).padStart(12)}  ${f.unit.padEnd(10)}  ${f.baseline}`);
    }
  }
}

main().catch((error: Error) => {
  console.error(`bench failed: ${error.stack ?? error.message}`);
  process.exit(1);
});
