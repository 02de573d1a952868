import { Code } from "@connectrpc/connect";
import { promoteRefusal, rollbackRefusal, type DeploymentFacts, type ProjectFacts } from "./preconditions";

const live: DeploymentFacts = {
  id: "dep_live",
  projectId: "prj_a",
  environmentId: "env_prod",
  production: true,
  status: "ready",
};
const older: DeploymentFacts = { ...live, id: "dep_old" };
const project: ProjectFacts = { id: "prj_a", liveDeploymentId: "dep_live", isRolledBack: false };

describe("rollbackRefusal", () => {
  it("allows rolling the live deployment back to an older ready one", () => {
    expect(rollbackRefusal(live, older, project)).toBeUndefined();
  });

  it.each<[string, DeploymentFacts, DeploymentFacts, ProjectFacts, Code, RegExp]>([
    ["source = target", live, live, project, Code.InvalidArgument, /same deployment dep_live/],
    [
      "other project",
      live,
      { ...older, projectId: "prj_b" },
      project,
      Code.FailedPrecondition,
      /dep_old \(project prj_b\).*different projects/,
    ],
    [
      "other environment",
      live,
      { ...older, environmentId: "env_prev" },
      project,
      Code.FailedPrecondition,
      /different environments/,
    ],
    [
      "source not live",
      older,
      live,
      project,
      Code.FailedPrecondition,
      /source dep_old is not the live deployment of project prj_a \(live: dep_live\)/,
    ],
    ["no live at all", live, older, { ...project, liveDeploymentId: null }, Code.FailedPrecondition, /\(live: none\)/],
    [
      "target failed",
      live,
      { ...older, status: "failed" },
      project,
      Code.FailedPrecondition,
      /target dep_old is failed, not ready/,
    ],
    [
      "target still deploying",
      live,
      { ...older, status: "deploying" },
      project,
      Code.FailedPrecondition,
      /is deploying, not ready/,
    ],
    ["target superseded", live, { ...older, status: "superseded" }, project, Code.FailedPrecondition, /is superseded/],
  ])("refuses: %s", (_what, source, target, p, code, message) => {
    const refusal = rollbackRefusal(source, target, p);
    expect(refusal?.code).toBe(code);
    expect(refusal?.message).toMatch(message);
  });
});

describe("promoteRefusal", () => {
  it("allows promoting a ready production deployment that is not live", () => {
    expect(promoteRefusal(older, project)).toBeUndefined();
  });

  it("allows promoting the live deployment while rolled back (clears the flag)", () => {
    expect(promoteRefusal(live, { ...project, isRolledBack: true })).toBeUndefined();
  });

  it.each<[string, DeploymentFacts, ProjectFacts, RegExp]>([
    ["failed", { ...older, status: "failed" }, project, /dep_old is failed, not ready/],
    ["cancelled", { ...older, status: "cancelled" }, project, /is cancelled, not ready/],
    ["preview", { ...older, production: false }, project, /not in the production environment of project prj_a/],
    ["no live deployment", older, { ...project, liveDeploymentId: null }, /project prj_a has no live deployment yet/],
    ["already live", live, project, /dep_live is already live in project prj_a/],
  ])("refuses: %s", (_what, target, p, message) => {
    const refusal = promoteRefusal(target, p);
    expect(refusal?.code).toBe(Code.FailedPrecondition);
    expect(refusal?.message).toMatch(message);
  });
});
