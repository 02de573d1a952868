import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { newId } from "@hydra/db";
import { AssignDomainsRequestSchema, DomainSticky, SwitchDomainsRequestSchema } from "@hydra/proto/hydra/v1";
import { MAX_DOMAINS_PER_CALL, validateAssign, validateSwitch } from "./validate";

const validAssign = () => ({
  workspaceId: newId("workspace"),
  projectId: newId("project"),
  environmentId: newId("environment"),
  deploymentId: newId("deployment"),
  domains: [{ name: "app.example.com", sticky: DomainSticky.BRANCH }],
});

type AssignChange = Omit<MessageInitShape<typeof AssignDomainsRequestSchema>, "$typeName">;

describe("validateAssign", () => {
  it("returns the claims in stored form", () => {
    expect(validateAssign(create(AssignDomainsRequestSchema, validAssign()))).toEqual([
      { name: "app.example.com", sticky: "branch" },
    ]);
  });

  it.each<[string, AssignChange, RegExp]>([
    ["missing workspace", { workspaceId: "" }, /workspace_id is required/],
    ["malformed project", { projectId: "prj" }, /project_id "prj" is not a project id/],
    [
      "environment id of another kind",
      { environmentId: newId("project") },
      /environment_id .* is not a environment id/,
    ],
    ["long key", { idempotencyKey: "k".repeat(256) }, /idempotency_key is 256 characters long/],
    [
      "too many domains",
      { domains: Array.from({ length: MAX_DOMAINS_PER_CALL + 1 }, (_, i) => ({ name: `d${i}.example.com` })) },
      /10001 domains in one call/,
    ],
    [
      "foreign gateway config",
      { gatewayConfig: { deploymentId: newId("deployment") } },
      /gateway_config.deployment_id/,
    ],
    [
      "bad hostname",
      { domains: [{ name: "Bad_Host.example.com" }] },
      /domains\[0\] "Bad_Host.example.com" must be lower-case/,
    ],
    [
      "duplicate",
      { domains: [{ name: "a.example.com" }, { name: "a.example.com" }] },
      /domains\[1\] "a.example.com" is listed twice/,
    ],
    ["unknown sticky", { domains: [{ name: "a.example.com", sticky: 9 as DomainSticky }] }, /unknown sticky value 9/],
  ])("%s → invalid_argument", (_name, change, message) => {
    const request = create(AssignDomainsRequestSchema, { ...validAssign(), ...change });
    expect(() => validateAssign(request)).toThrow(
      expect.objectContaining({ code: "invalid_argument", message: expect.stringMatching(message) }),
    );
  });
});

describe("validateSwitch", () => {
  it("returns the distinct domain ids", () => {
    const id = newId("domain");
    expect(
      validateSwitch(
        create(SwitchDomainsRequestSchema, { targetDeploymentId: newId("deployment"), domainIds: [id, id] }),
      ),
    ).toEqual([id]);
  });

  it.each<[string, MessageInitShape<typeof SwitchDomainsRequestSchema>, RegExp]>([
    ["missing target", { targetDeploymentId: "" }, /target_deployment_id is required/],
    [
      "malformed expected live",
      { targetDeploymentId: newId("deployment"), expectedLiveDeploymentId: "x" },
      /expected_live_deployment_id "x"/,
    ],
    [
      "malformed domain id",
      { targetDeploymentId: newId("deployment"), domainIds: ["dom_nope"] },
      /domain_ids are not domain ids: "dom_nope"/,
    ],
  ])("%s → invalid_argument", (_name, init, message) => {
    expect(() => validateSwitch(create(SwitchDomainsRequestSchema, init))).toThrow(
      expect.objectContaining({ code: "invalid_argument", message: expect.stringMatching(message) }),
    );
  });
});
