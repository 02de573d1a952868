import { create, type DescMessage } from "@bufbuild/protobuf";
import { CreateDeploymentRequestSchema, CreateProjectRequestSchema } from "@hydra/proto/ctrl/v1";
import { AssignDomainsRequestSchema } from "@hydra/proto/hydra/v1";
import { z } from "zod";
import { int64Decimal, requestViolation, type RequestRules } from "./request-rules";

const rules: RequestRules = {
  fields: {
    "ctrl.v1.GitCommit.commit_message": { maxBytes: 10 },
    "ctrl.v1.GitCommit.timestamp_ms": { schema: z.bigint().max(5n, "too late") },
    "hydra.v1.DomainToAssign.name": { schema: z.string().regex(/^[a-z.]+$/, "not a hostname") },
  },
  maxStringBytes: 20,
};

describe("requestViolation", () => {
  it.each<[string, DescMessage, object, object | undefined]>([
    [
      "a clean request",
      CreateDeploymentRequestSchema,
      create(CreateDeploymentRequestSchema, { projectId: "p", gitCommit: { commitMessage: "ok" } }),
      undefined,
    ],
    [
      "NUL at the top",
      CreateDeploymentRequestSchema,
      create(CreateDeploymentRequestSchema, { branch: "a\u0000" }),
      { field: "branch", problem: "must not contain NUL characters" },
    ],
    [
      "a nested limit of its own",
      CreateDeploymentRequestSchema,
      create(CreateDeploymentRequestSchema, { gitCommit: { commitMessage: "x".repeat(11) } }),
      { field: "git_commit.commit_message", problem: "is 11 bytes long (at most 10)" },
    ],
    [
      "the default limit, in bytes",
      CreateDeploymentRequestSchema,
      create(CreateDeploymentRequestSchema, { branch: "é".repeat(11) }),
      { field: "branch", problem: "is 22 bytes long (at most 20)" },
    ],
    [
      "a number rule",
      CreateDeploymentRequestSchema,
      create(CreateDeploymentRequestSchema, { gitCommit: { timestampMs: 6n } }),
      { field: "git_commit.timestamp_ms", problem: "too late" },
    ],
    [
      "a list element",
      CreateDeploymentRequestSchema,
      create(CreateDeploymentRequestSchema, { command: ["ok", "b\u0000"] }),
      { field: "command[1]", problem: "must not contain NUL characters" },
    ],
    [
      "a oneof case",
      CreateDeploymentRequestSchema,
      create(CreateDeploymentRequestSchema, { source: { case: "dockerImage", value: { image: "\u0000" } } }),
      { field: "docker_image.image", problem: "must not contain NUL characters" },
    ],
    [
      "a map key",
      CreateProjectRequestSchema,
      create(CreateProjectRequestSchema, { regions: { "a\u0000": 1 } }),
      { field: "regions key", problem: "must not contain NUL characters" },
    ],
    [
      "a rule on list elements",
      AssignDomainsRequestSchema,
      create(AssignDomainsRequestSchema, { domains: [{ name: "ok.test" }, { name: "NOT/ok" }] }),
      { field: "domains[1].name", problem: "not a hostname" },
    ],
  ])("%s", (_, schema, message, expected) => {
    expect(requestViolation(schema, message as unknown as Record<string, unknown>, rules)).toEqual(expected);
  });
});

describe("int64Decimal", () => {
  it.each([
    ["0", true],
    ["9223372036854775807", true],
    ["9223372036854775808", false],
    ["x", false],
    ["-1", false],
    ["", false],
  ])("%j → %s", (value, ok) => {
    expect(int64Decimal.safeParse(value).success).toBe(ok);
  });
});
