import { Code, ConnectError } from "@connectrpc/connect";
import { TerminalError } from "@hydra/workflow";
import type { DeploymentFacts } from "../preconditions";
import { NotWakeableError } from "./standby";
import { asTerminal } from "./switch-live/asTerminal";
import type { CheckedSwitch } from "./switch-live/checks";
import { promotePlan, rollbackPlan } from "./switch-live/plan";

const deployment = (id: string): DeploymentFacts => ({
  id,
  projectId: "prj_1",
  environmentId: "env_prod",
  production: true,
  status: "ready",
});
const checked = (targetId: string, live: string, isRolledBack: boolean): CheckedSwitch => ({
  target: deployment(targetId),
  project: { id: "prj_1", liveDeploymentId: live, isRolledBack },
});

describe("switch plans", () => {
  it("rollback moves the domains back, guarded by the source, and marks the project rolled back", () => {
    expect(
      rollbackPlan(checked("dep_old", "dep_new", false), {
        sourceDeploymentId: "dep_new",
        targetDeploymentId: "dep_old",
      }),
    ).toEqual({ target: deployment("dep_old"), expectedLive: "dep_new", rolledBack: true, moveDomains: true });
  });

  it.each([
    ["a deployment other than the live one", checked("dep_b", "dep_a", false), "dep_a", true],
    ["another deployment while rolled back", checked("dep_b", "dep_a", true), "dep_a", true],
    ["the live deployment while rolled back: only the flag clears", checked("dep_a", "dep_a", true), "dep_a", false],
  ])("promote of %s", (_what, facts, expectedLive, moveDomains) => {
    expect(promotePlan(facts)).toEqual({ target: facts.target, expectedLive, rolledBack: false, moveDomains });
  });
});

describe("asTerminal (a switch step's final refusals keep their code)", () => {
  it.each([
    [
      "a final ConnectError",
      new ConnectError("source dep_a is not live", Code.FailedPrecondition),
      "failed_precondition",
    ],
    ["a final ConnectError of another code", new ConnectError("target dep_x not found", Code.NotFound), "not_found"],
    ["a target with nothing to wake", new NotWakeableError("deployment dep_x has no workloads"), "failed_precondition"],
  ])("%s becomes a refused TerminalError with its code", async (_what, error, code) => {
    const thrown = await asTerminal(() => Promise.reject(error)).catch((e: unknown) => e);
    expect(thrown).toBeInstanceOf(TerminalError);
    expect(thrown).toMatchObject({ code, kind: "refused", message: error.message.replace(/^\[\w+\] /, "") });
  });

  it.each([
    ["a retryable ConnectError", new ConnectError("routing is restarting", Code.Unavailable)],
    ["any other error", new Error("socket hang up")],
  ])("%s passes through unchanged (the step retries it)", async (_what, error) => {
    await expect(asTerminal(() => Promise.reject(error))).rejects.toBe(error);
  });

  it("passes a value through", async () => {
    await expect(asTerminal(async () => 7)).resolves.toBe(7);
  });
});
