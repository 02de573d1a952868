#!/usr/bin/env node
// A fake `depot` CLI for the Depot backend's tests. The test copies it into a temporary
// directory as `depot`, next to a `behavior.json` ({ standInUrl, modes: { <save-tag>: mode } }).
// It appends what it was run with (argv and the environment it got) to `calls.jsonl` there,
// prints what `depot build --progress plain` prints, writes the --metadata-file the real one
// writes, and reports the outcome to the Depot stand-in as the real CLI reports to Depot.
//
// Modes: "success" (default), "fail" (the Dockerfile fails), "unavailable" (Depot unreachable),
// "hang" (runs until killed; records the signal it got).
"use strict";
const fs = require("node:fs");
const http2 = require("node:http2");
const path = require("node:path");
const crypto = require("node:crypto");

const directory = path.dirname(fs.realpathSync(process.argv[1]));
const behavior = JSON.parse(fs.readFileSync(path.join(directory, "behavior.json"), "utf8"));
const argv = process.argv.slice(2);
const record = (entry) => fs.appendFileSync(path.join(directory, "calls.jsonl"), JSON.stringify(entry) + "\n");

const flag = (name) => {
  const index = argv.indexOf(name);
  return index >= 0 ? argv[index + 1] : undefined;
};
const tag = flag("--save-tag");
const metadataFile = flag("--metadata-file");
const buildId = process.env.DEPOT_BUILD_ID;
const mode = (behavior.modes && behavior.modes[tag]) || "success";

record({ argv, env: process.env, mode });

function report(body) {
  return new Promise((resolve, reject) => {
    const session = http2.connect(behavior.standInUrl);
    session.on("error", reject);
    const request = session.request({
      ":method": "POST",
      ":path": `/_standin/builds/${buildId}/finish`,
      "content-type": "application/json",
      authorization: `Bearer ${process.env.DEPOT_TOKEN}`,
    });
    request.on("response", (headers) => {
      request.resume();
      request.on("end", () => {
        session.close();
        headers[":status"] === 204 ? resolve() : reject(new Error(`stand-in answered ${headers[":status"]}`));
      });
    });
    request.on("error", reject);
    request.end(JSON.stringify(body));
  });
}

async function main() {
  const context = argv[argv.length - 1];
  process.stderr.write(
    `[+] Building 0.0s (0/1)\n#0 building with "depot" instance using project ${flag("--project")}\n`,
  );
  process.stderr.write(`#1 [internal] load git source ${context}\n#1 DONE 0.4s\n`);
  if (mode === "hang") {
    // Handlers first: the test stops the build as soon as it sees the line below.
    const stop = (signal) => {
      record({ signal, buildId });
      process.exit(130);
    };
    process.on("SIGTERM", () => stop("SIGTERM"));
    process.on("SIGINT", () => stop("SIGINT"));
    setInterval(() => {}, 1000);
    process.stderr.write("#2 [build 1/3] RUN sleep infinity\n");
    return;
  }
  if (mode === "unavailable") {
    process.stderr.write("ERROR: failed to dial gRPC: rpc error: code = Unavailable desc = connection refused\n");
    process.exit(1);
  }
  if (mode === "fail") {
    process.stderr.write(
      '#2 [build 2/3] RUN npm ci\n#2 ERROR: process "/bin/sh -c npm ci" did not complete successfully: exit code: 1\n',
    );
    await report({ success: false, error: "npm ci failed" });
    process.stderr.write(
      'ERROR: failed to solve: process "/bin/sh -c npm ci" did not complete successfully: exit code: 1\n',
    );
    process.exit(1);
  }
  const digest = `sha256:${crypto.createHash("sha256").update(buildId).digest("hex")}`;
  process.stderr.write(`#3 exporting to image\n#3 pushing layers\n#3 DONE 1.2s\n`);
  fs.writeFileSync(
    metadataFile,
    JSON.stringify({
      "containerimage.digest": digest,
      "depot.build": { buildID: buildId, projectID: flag("--project") },
    }),
  );
  await report({ success: true, tag, digest });
  process.stdout.write(`Saved target:\n  To pull: depot pull --project ${flag("--project")} ${buildId}\n`);
}

main().catch((error) => {
  process.stderr.write(`fake depot: ${error.stack || error}\n`);
  process.exit(2);
});
