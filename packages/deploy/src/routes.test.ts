import { buildRoutes, type RouteInput, type RouteSticky } from "./routes";

const base: RouteInput = {
  projectSlug: "web",
  workspaceSlug: "acme",
  environmentSlug: "production",
  production: true,
  branch: "main",
  commitSha: "0123456789abcdef0123456789abcdef01234567",
  deploymentId: "dep_01jc0000000000000000000000",
  apex: "hydra.run",
};

describe("buildRoutes", () => {
  it("gives a production deployment its commit, branch, environment and live domains", () => {
    expect(buildRoutes(base)).toEqual([
      { name: "web-git-0123456-acme.hydra.run", sticky: "unspecified" },
      { name: "web-git-main-acme.hydra.run", sticky: "branch" },
      { name: "web-production-acme.hydra.run", sticky: "environment" },
      { name: "web-acme.hydra.run", sticky: "live" },
    ]);
  });

  it("gives a preview deployment no live domain", () => {
    const routes = buildRoutes({ ...base, environmentSlug: "preview", production: false, branch: "feature/Login_v2" });
    expect(routes).toEqual([
      { name: "web-git-0123456-acme.hydra.run", sticky: "unspecified" },
      { name: "web-git-feature-login-v2-acme---ecf56a84531b02ed86c0.hydra.run", sticky: "branch" },
      { name: "web-preview-acme.hydra.run", sticky: "environment" },
    ]);
  });

  it("uses a per-deployment domain when there is no commit, and no branch domain without a branch", () => {
    expect(buildRoutes({ ...base, commitSha: "", branch: "" })).toEqual([
      { name: "web-dep-01jc0000000000000000000000-acme.hydra.run", sticky: "unspecified" },
      { name: "web-production-acme.hydra.run", sticky: "environment" },
      { name: "web-acme.hydra.run", sticky: "live" },
    ]);
  });

  it("is deterministic", () => {
    expect(buildRoutes(base)).toEqual(buildRoutes({ ...base }));
  });

  it("keeps every label within 63 characters, and distinct long branches distinct", () => {
    const long = { ...base, projectSlug: "p".repeat(25), workspaceSlug: "w".repeat(25) };
    const a = buildRoutes({ ...long, branch: `feature/${"x".repeat(80)}-a` });
    const b = buildRoutes({ ...long, branch: `feature/${"x".repeat(80)}-b` });
    for (const route of [...a, ...b]) {
      expect(route.name.split(".")[0]!.length).toBeLessThanOrEqual(63);
      expect(route.name).toMatch(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/);
    }
    expect(a[1]!.name).not.toBe(b[1]!.name);
  });

  it("gives a branch with no usable characters a hashed label", () => {
    const [, branch] = buildRoutes({ ...base, branch: "___" });
    expect(branch!.name).toMatch(/^web-git-acme---[0-9a-f]{20}\.hydra\.run$/);
  });

  // Each pair collided when names were slugs joined by hyphens: the first tenant to route the
  // name owned it, and the other's deploys failed at assign-routes (or were served on it).
  type Named = [Partial<RouteInput>, RouteSticky];
  it.each<[string, Named, Named]>([
    [
      "live of a in workspace b-c vs live of a-b in workspace c",
      [{ workspaceSlug: "b-c", projectSlug: "a" }, "live"],
      [{ workspaceSlug: "c", projectSlug: "a-b" }, "live"],
    ],
    [
      "production of web vs live of web-production",
      [{ projectSlug: "web" }, "environment"],
      [{ projectSlug: "web-production" }, "live"],
    ],
    [
      "branch x of web vs live of web-git-x",
      [{ projectSlug: "web", branch: "x" }, "branch"],
      [{ projectSlug: "web-git-x" }, "live"],
    ],
    [
      "branches feature/login and feature-login",
      [{ branch: "feature/login" }, "branch"],
      [{ branch: "feature-login" }, "branch"],
    ],
    ["branch 0123456 and commit 0123456", [{ branch: "0123456" }, "branch"], [{ commitSha: "0123456" }, "unspecified"]],
  ])("%s get distinct names", (_, [a, aSticky], [b, bSticky]) => {
    const name = (input: Partial<RouteInput>, sticky: RouteSticky) =>
      buildRoutes({ ...base, ...input }).find((route) => route.sticky === sticky)!.name;
    expect(name(a, aSticky)).not.toBe(name(b, bSticky));
  });
});
