import fc from "fast-check";
import { SLUG_PATTERN } from "@hydra/projects";
import {
  domainLabel,
  domainLabelHash,
  type DomainLabelInput,
  MAX_LABEL_LENGTH,
  parseDomainLabel,
} from "./domain-label";

// Few letters and many hyphens, so that generated tuples share characters and boundaries.
const slugChar = fc.constantFrom("a", "b", "0", "-", "-");
const slug = fc.string({ unit: slugChar, minLength: 1, maxLength: 30 }).filter((s) => SLUG_PATTERN.test(s));
const longSlug = fc.string({ unit: slugChar, minLength: 1, maxLength: 63 }).filter((s) => SLUG_PATTERN.test(s));
const hex = fc.constantFrom(..."0123456789abcdef");
const sha7 = fc.string({ unit: hex, minLength: 7, maxLength: 7 });
const branch = fc.oneof(
  fc.string({ unit: fc.constantFrom("a", "b", "-", "/", "_", "A", ".", "0"), minLength: 1, maxLength: 20 }),
  sha7,
  fc.string({ unit: fc.constantFrom("a", "-", "/"), minLength: 60, maxLength: 255 }),
);
const deploymentId = fc.oneof(
  fc.string({ unit: fc.constantFrom("0", "1", "a", "z"), minLength: 26, maxLength: 26 }).map((s) => `dep_${s}`),
  fc.string({ minLength: 1, maxLength: 40 }),
);
const input: fc.Arbitrary<DomainLabelInput> = fc.oneof(
  fc.record({ workspaceSlug: longSlug, projectSlug: longSlug, kind: fc.constant("live" as const) }),
  fc.record({
    workspaceSlug: slug,
    projectSlug: slug,
    kind: fc.constant("environment" as const),
    environmentSlug: slug,
  }),
  fc.record({ workspaceSlug: slug, projectSlug: slug, kind: fc.constant("commit" as const), sha7 }),
  fc.record({ workspaceSlug: slug, projectSlug: slug, kind: fc.constant("branch" as const), branch }),
  fc.record({ workspaceSlug: slug, projectSlug: slug, kind: fc.constant("deployment" as const), deploymentId }),
);

const RUNS = 5_000;

describe("domainLabel", () => {
  it("is a valid DNS label: letters, digits, inner hyphens, at most 63, never punycode", () => {
    fc.assert(
      fc.property(input, (tuple) => {
        const label = domainLabel(tuple);
        expect(label).toMatch(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/);
        expect(label.length).toBeLessThanOrEqual(MAX_LABEL_LENGTH);
        expect(label.startsWith("xn--")).toBe(false);
      }),
      { numRuns: RUNS },
    );
  });

  // A left inverse makes the plain form injective; a hashed label carries the hash of its whole
  // tuple and is never mistaken for a plain one. Together: equal labels ⇒ equal tuples.
  it("reads back the tuple of every plain label and the tuple's hash from every hashed one", () => {
    fc.assert(
      fc.property(input, (tuple) => {
        const parsed = parseDomainLabel(domainLabel(tuple));
        if (parsed?.form === "hashed") expect(parsed.hash).toBe(domainLabelHash(tuple));
        else expect(parsed).toEqual({ form: "plain", input: tuple });
      }),
      { numRuns: RUNS },
    );
  });

  it("gives distinct tuples distinct labels", () => {
    fc.assert(
      fc.property(input, input, (a, b) => {
        fc.pre(JSON.stringify(a) !== JSON.stringify(b));
        expect(domainLabel(a)).not.toBe(domainLabel(b));
      }),
      { numRuns: RUNS },
    );
  });

  it("is injective over every tuple of small slugs (exhaustive)", () => {
    const slugs = ["a", "b", "a-b", "a--b", "b-a", "ab", "a-a", "git", "dep", "git-a", "a-git"];
    const values = ["a", "b", "a-b", "a/b", "A", "git", "0123456", "a--b", "a-git-b"];
    const labels = new Map<string, string>();
    let tuples = 0;
    for (const workspaceSlug of slugs) {
      for (const projectSlug of slugs) {
        const owner = { workspaceSlug, projectSlug };
        const kinds: DomainLabelInput[] = [
          { ...owner, kind: "live" },
          ...slugs.map((environmentSlug) => ({ ...owner, kind: "environment" as const, environmentSlug })),
          ...values.map((value) => ({ ...owner, kind: "branch" as const, branch: value })),
          { ...owner, kind: "commit", sha7: "0123456" },
          { ...owner, kind: "deployment", deploymentId: `dep_${"a".repeat(26)}` },
        ];
        for (const tuple of kinds) {
          tuples++;
          const label = domainLabel(tuple);
          const key = JSON.stringify(tuple);
          expect([label, labels.get(label) ?? key]).toEqual([label, key]);
          labels.set(label, key);
        }
      }
    }
    expect(labels.size).toBe(tuples);
  });

  it.each<[string, DomainLabelInput, string]>([
    ["live", { workspaceSlug: "acme", projectSlug: "web", kind: "live" }, "web-acme"],
    [
      "hyphenated slugs: longer separators",
      { workspaceSlug: "acme-co", projectSlug: "my-app", kind: "environment", environmentSlug: "preview" },
      "my-app--preview--acme-co",
    ],
    [
      "branch",
      { workspaceSlug: "acme", projectSlug: "web", kind: "branch", branch: "fix-login" },
      "web--git--fix-login--acme",
    ],
    ["commit", { workspaceSlug: "acme", projectSlug: "web", kind: "commit", sha7: "0123456" }, "web-git-0123456-acme"],
    [
      "branch with a slash",
      { workspaceSlug: "acme", projectSlug: "web", kind: "branch", branch: "feature/login" },
      "web-git-feature-login-acme---e7c77e8c2113759365c6",
    ],
    [
      "punycode-looking",
      { workspaceSlug: "acme-co", projectSlug: "xn", kind: "live" },
      "xn-acme-co---0f3a2ba87273bda0701b",
    ],
    ["runs of hyphens", { workspaceSlug: "a--b", projectSlug: "c-d", kind: "live" }, "c-d---a--b"],
  ])("%s", (_, tuple, label) => {
    expect(domainLabel(tuple)).toBe(label);
  });
});
