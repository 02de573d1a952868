/**
 * OCI / Docker image reference grammar, as distribution/reference defines it:
 *
 *   reference        := name [ ":" tag ] [ "@" digest ]
 *   name             := [domain "/"] path-component ["/" path-component]*
 *   domain           := host [":" port]            host := domain-name | "[" IPv6 "]"
 *   domain-name      := domain-component ["." domain-component]*
 *   domain-component := /([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])/
 *   path-component   := /[a-z0-9]+/ [separator /[a-z0-9]+/]*    separator := /[_.]|__|[-]+/
 *   tag              := /[\w][\w.-]{0,127}/
 *   digest           := algorithm ":" hex          algorithm := components of [A-Za-z][A-Za-z0-9]* joined by [-_+.]
 *
 * Hand-written because the npm ports checked (@swimlane/docker-reference 2.0.1) use the old
 * `[-]*` separator, whose nested quantifier backtracks exponentially on "aaaa…!" (it hung on
 * 21 characters). Every repetition below starts with a character its predecessor cannot end
 * with, so matching is linear.
 */

const alphaNumeric = "[a-z0-9]+";
const separator = "(?:[._]|__|-+)";
const pathComponent = `${alphaNumeric}(?:${separator}${alphaNumeric})*`;
const domainComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const domainName = `${domainComponent}(?:\\.${domainComponent})*`;
const ipv6 = "\\[[a-fA-F0-9:]+\\]";
const domain = `(?:${domainName}|${ipv6})(?::[0-9]+)?`;
const path = `${pathComponent}(?:/${pathComponent})*`;
const tag = "[\\w][\\w.-]{0,127}";
const digest = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";

const REFERENCE = new RegExp(`^(?:(${domain})/)?(${path})(?::(${tag}))?(?:@(${digest}))?$`);
const TAG = new RegExp(`^${tag}$`);

/** distribution/reference's limit on the name (domain and path, without tag or digest). */
const NAME_MAX_LENGTH = 255;
/** Bounds the work the grammar check can be made to do. */
const INPUT_MAX_LENGTH = 1024;

/** The hex length each supported digest algorithm requires (lowercase, as go-digest does). */
const DIGEST_HEX_LENGTH: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };

export interface ImageReference {
  /** The registry host as written (`ghcr.io`, `localhost:5000`), or undefined for Docker Hub. */
  domain: string | undefined;
  /** Repository path as written, e.g. `library/nginx` or `nginx`. */
  path: string;
  tag: string | undefined;
  digest: string | undefined;
}

export class InvalidImageReferenceError extends Error {
  override readonly name = "InvalidImageReferenceError";
}

/** Parses an image reference or throws `InvalidImageReferenceError` saying what is wrong. */
export function parseImageReference(input: string): ImageReference {
  if (input.length === 0) throw new InvalidImageReferenceError("image reference is empty");
  if (input.length > INPUT_MAX_LENGTH) {
    throw new InvalidImageReferenceError(
      `image reference is ${input.length} characters long, more than ${INPUT_MAX_LENGTH}`,
    );
  }
  const match = REFERENCE.exec(input);
  if (!match) {
    throw new InvalidImageReferenceError(`"${input}" is not a valid image reference: ${diagnose(input)}`);
  }
  const [, matchedDomain, matchedPath = "", matchedTag, matchedDigest] = match;
  const nameLength = (matchedDomain ? matchedDomain.length + 1 : 0) + matchedPath.length;
  if (nameLength > NAME_MAX_LENGTH) {
    throw new InvalidImageReferenceError(
      `"${input}": repository name must not be more than ${NAME_MAX_LENGTH} characters`,
    );
  }
  if (matchedDigest !== undefined) validateDigest(input, matchedDigest);

  // As in distribution's ParseNormalizedNamed: the first component is a registry host only when
  // it looks like one; otherwise "user/repo" is a Docker Hub path.
  let registry = matchedDomain;
  let repositoryPath = matchedPath;
  if (registry !== undefined && !looksLikeRegistryHost(registry)) {
    repositoryPath = `${registry}/${matchedPath}`;
    registry = undefined;
    if (repositoryPath !== repositoryPath.toLowerCase()) {
      throw new InvalidImageReferenceError(`"${input}": repository name must be lowercase`);
    }
  }
  return { domain: registry, path: repositoryPath, tag: matchedTag, digest: matchedDigest };
}

export function isValidImageReference(input: string): boolean {
  try {
    parseImageReference(input);
    return true;
  } catch {
    return false;
  }
}

export function isValidTag(value: string): boolean {
  return TAG.test(value);
}

function looksLikeRegistryHost(component: string): boolean {
  return (
    component.includes(".") ||
    component.includes(":") ||
    component === "localhost" ||
    component.startsWith("[") ||
    component !== component.toLowerCase()
  );
}

function validateDigest(input: string, value: string): void {
  const colon = value.indexOf(":");
  const algorithm = value.slice(0, colon);
  const hex = value.slice(colon + 1);
  const expected = DIGEST_HEX_LENGTH[algorithm];
  if (expected === undefined) {
    throw new InvalidImageReferenceError(
      `"${input}": unsupported digest algorithm "${algorithm}" (supported: ${Object.keys(DIGEST_HEX_LENGTH).join(", ")})`,
    );
  }
  if (hex.length !== expected || !/^[0-9a-f]+$/.test(hex)) {
    throw new InvalidImageReferenceError(`"${input}": a ${algorithm} digest is ${expected} lowercase hex characters`);
  }
}

/** A short reason for the most common mistakes; the grammar check itself is the regex. */
function diagnose(input: string): string {
  if (/\s/.test(input)) return "it contains whitespace";
  if (input.includes("://")) return "a reference has no scheme (drop the https://)";
  const at = input.indexOf("@");
  const name = at >= 0 ? input.slice(0, at) : input;
  const lastSlash = name.lastIndexOf("/");
  const lastColon = name.lastIndexOf(":");
  const repository = lastColon > lastSlash ? name.slice(0, lastColon) : name;
  const pathPart = repository.slice(repository.indexOf("/") + 1);
  if (pathPart !== pathPart.toLowerCase()) return "repository name must be lowercase";
  if (lastColon > lastSlash && !TAG.test(name.slice(lastColon + 1))) {
    return "a tag is 1 to 128 characters of [A-Za-z0-9_.-], not starting with . or -";
  }
  if (at >= 0 && !/^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/.test(input.slice(at + 1))) {
    return "a digest is algorithm:hex, e.g. sha256:<64 hex>";
  }
  return "expected [registry/]repository[:tag][@digest]";
}
