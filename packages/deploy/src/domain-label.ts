import { createHash } from "node:crypto";

/**
 * The first DNS label of a generated hostname, injective over (workspace, project, kind, value).
 *
 * Slugs and branches may contain hyphens, so joining them with single hyphens is ambiguous
 * ("a-b" + "c" and "a" + "b-c"). Plain form: the parts are joined by a run of hyphens one
 * longer than the longest run inside any part, so the longest runs of a label are exactly its
 * separators (parts never start or end with a hyphen). The number of parts and a marker give
 * the kind:
 *
 *   live         <project>-<workspace>                 web-acme, my-app--acme-co
 *   environment  <project>-<env>-<workspace>           web-production-acme, my-app--preview--acme-co
 *   commit       <project>-git-<sha7>-<workspace>      web-git-0123456-acme
 *   branch       <project>-git-<branch>-<workspace>    web-git-main-acme, web--git--fix-login--acme
 *   deployment   <project>-dep-<id suffix>-<workspace> (a deployment without a commit)
 *
 * A branch is used as is only when it is already a label fragment (lower-case letters, digits,
 * inner hyphens) and does not look like a sha7. Anything else (a branch with '/', capitals or
 * '_', a label over 63 characters, a label starting "xn--", which browsers decode as punycode)
 * takes the hashed form: a readable prefix with single hyphens, exactly three hyphens, and 20
 * hex digits of SHA-256 over the whole tuple. A plain label never has that shape (a run of three
 * as its only longer run would have to be a separator with no longer run in the parts, yet a
 * separator is longer than some run in a part), so a hashed name never equals a plain one, and
 * two hashed names are equal only if their tuples are (80 bits: finding a second tuple for
 * someone else's name costs ~2^80 hashes). `parseDomainLabel` inverts the plain form; the
 * property test checks both.
 */
export type DomainLabelKind =
  | { kind: "live" }
  | { kind: "environment"; environmentSlug: string }
  | { kind: "commit"; sha7: string }
  | { kind: "branch"; branch: string }
  | { kind: "deployment"; deploymentId: string };

export interface DomainLabelOwner {
  workspaceSlug: string;
  projectSlug: string;
}

export type DomainLabelInput = DomainLabelOwner & DomainLabelKind;

export const MAX_LABEL_LENGTH = 63;
const HASH_LENGTH = 20;
const HASH_MARKER = "---";
/** Lower-case letters and digits, hyphens only inside. */
const FRAGMENT = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const SHA7 = /^[0-9a-f]{7}$/;
const DEPLOYMENT_ID = /^dep_([0-9a-z]{26})$/;
const BRANCH_MARKER = "git";
const DEPLOYMENT_MARKER = "dep";

/** The parts of the plain form, or undefined when the tuple has no plain form. */
function plainParts(input: DomainLabelInput): string[] | undefined {
  const { projectSlug: p, workspaceSlug: w } = input;
  let parts: string[];
  switch (input.kind) {
    case "live":
      parts = [p, w];
      break;
    case "environment":
      parts = [p, input.environmentSlug, w];
      break;
    case "commit":
      if (!SHA7.test(input.sha7)) return undefined;
      parts = [p, BRANCH_MARKER, input.sha7, w];
      break;
    case "branch":
      // A sha7-looking branch would read back as a commit.
      if (SHA7.test(input.branch)) return undefined;
      parts = [p, BRANCH_MARKER, input.branch, w];
      break;
    case "deployment": {
      const suffix = DEPLOYMENT_ID.exec(input.deploymentId)?.[1];
      if (!suffix) return undefined;
      parts = [p, DEPLOYMENT_MARKER, suffix, w];
      break;
    }
  }
  return parts.every((part) => FRAGMENT.test(part)) ? parts : undefined;
}

/** Browsers decode an "xn--" label as punycode: a generated name must never start so. */
function isPunycodeLabel(label: string): boolean {
  return label.startsWith("xn--");
}

function longestHyphenRun(text: string): number {
  return Math.max(0, ...(text.match(/-+/g) ?? []).map((run) => run.length));
}

function kindValue(input: DomainLabelKind): string {
  switch (input.kind) {
    case "live":
      return "";
    case "environment":
      return input.environmentSlug;
    case "commit":
      return input.sha7;
    case "branch":
      return input.branch;
    case "deployment":
      return input.deploymentId;
  }
}

/** 20 hex digits of SHA-256 over the whole tuple (JSON of an array: unambiguous). */
export function domainLabelHash(input: DomainLabelInput): string {
  const tuple = JSON.stringify([input.workspaceSlug, input.projectSlug, input.kind, kindValue(input)]);
  return createHash("sha256").update(tuple).digest("hex").slice(0, HASH_LENGTH);
}

/** Something readable before the hash: lossy on purpose (the hash carries the identity). */
function readablePrefix(input: DomainLabelInput): string {
  const words = [
    input.projectSlug,
    input.kind === "branch" || input.kind === "commit"
      ? BRANCH_MARKER
      : input.kind === "deployment"
        ? DEPLOYMENT_MARKER
        : "",
    kindValue(input),
    input.workspaceSlug,
  ];
  return words
    .join("-")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .slice(0, MAX_LABEL_LENGTH - HASH_MARKER.length - HASH_LENGTH)
    .replace(/^-+|-+$/g, "");
}

export function domainLabel(input: DomainLabelInput): string {
  const parts = plainParts(input);
  if (parts) {
    const plain = parts.join("-".repeat(longestHyphenRun(parts.join("")) + 1));
    if (plain.length <= MAX_LABEL_LENGTH && !isPunycodeLabel(plain)) return plain;
  }
  // The prefix has single hyphens only, so "---" stays its only longer run.
  return `${readablePrefix(input)}${HASH_MARKER}${domainLabelHash(input)}`;
}

export type ParsedDomainLabel = { form: "plain"; input: DomainLabelInput } | { form: "hashed"; hash: string };

/**
 * The tuple a plain label encodes, or the hash of a hashed one; undefined for a label
 * `domainLabel` never produces. Exists to prove (and test) that the encoding is injective.
 */
export function parseDomainLabel(label: string): ParsedDomainLabel | undefined {
  const hashed = /^[a-z0-9]+(?:-[a-z0-9]+)*---([0-9a-f]{20})$/.exec(label);
  if (hashed) return { form: "hashed", hash: hashed[1]! };
  const separator = "-".repeat(longestHyphenRun(label));
  if (!separator) return undefined;
  const parts = label.split(new RegExp(`(?<!-)${separator}(?!-)`));
  if (!parts.every((part) => FRAGMENT.test(part))) return undefined;
  const [p, second, third, w] = parts as [string, string, string | undefined, string | undefined];
  let input: DomainLabelInput | undefined;
  if (parts.length === 2) input = { projectSlug: p, workspaceSlug: second, kind: "live" };
  else if (parts.length === 3)
    input = { projectSlug: p, workspaceSlug: third!, kind: "environment", environmentSlug: second };
  else if (parts.length === 4 && second === BRANCH_MARKER) {
    input = SHA7.test(third!)
      ? { projectSlug: p, workspaceSlug: w!, kind: "commit", sha7: third! }
      : { projectSlug: p, workspaceSlug: w!, kind: "branch", branch: third! };
  } else if (parts.length === 4 && second === DEPLOYMENT_MARKER) {
    input = { projectSlug: p, workspaceSlug: w!, kind: "deployment", deploymentId: `dep_${third!}` };
  }
  return input && domainLabel(input) === label ? { form: "plain", input } : undefined;
}
