import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { haproxyPaths, renderHaproxyConfig } from "./haproxy-config";

const haproxy = spawnSync("haproxy", ["-v"]).status === 0;

describe("renderHaproxyConfig", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "hydra-haproxy-config-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const paths = haproxyPaths(dir);

  it.each([
    ["IPv4", { host: "127.0.0.1", port: 8080 }, "bind 127.0.0.1:8080"],
    ["IPv6", { host: "::1", port: 8443 }, "bind [::1]:8443"],
  ])("binds %s", (_name, listen, bind) => {
    expect(renderHaproxyConfig({ listen, paths })).toContain(bind);
  });

  it("deletes the client's deployment id header before setting it from the route", () => {
    const config = renderHaproxyConfig({ listen: { host: "127.0.0.1", port: 8080 }, paths });
    expect(config.indexOf("del-header X-Hydra-Deployment-Id")).toBeLessThan(
      config.indexOf("set-header X-Hydra-Deployment-Id"),
    );
  });

  (haproxy ? it : it.skip)("is accepted by the real haproxy binary (haproxy -c)", () => {
    for (const map of [paths.mapA, paths.mapB, paths.side]) writeFileSync(map, "");
    writeFileSync(paths.config, renderHaproxyConfig({ listen: { host: "127.0.0.1", port: 8080 }, paths }));
    expect(execFileSync("haproxy", ["-c", "-f", paths.config], { encoding: "utf8", stdio: "pipe" })).toContain(
      "Configuration file is valid",
    );
  });
});
