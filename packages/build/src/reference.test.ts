import { isValidImageReference, isValidTag, parseImageReference } from "./reference";

const SHA256 = "sha256:" + "a".repeat(64);

describe("parseImageReference accepts", () => {
  it.each([
    ["nginx", { domain: undefined, path: "nginx", tag: undefined, digest: undefined }],
    ["nginx:1.25", { domain: undefined, path: "nginx", tag: "1.25", digest: undefined }],
    ["library/nginx:latest", { domain: undefined, path: "library/nginx", tag: "latest", digest: undefined }],
    ["user/repo", { domain: undefined, path: "user/repo", tag: undefined, digest: undefined }],
    [
      "docker.io/library/nginx:1.25-alpine",
      { domain: "docker.io", path: "library/nginx", tag: "1.25-alpine", digest: undefined },
    ],
    ["ghcr.io/org/team/app:v1.2.3", { domain: "ghcr.io", path: "org/team/app", tag: "v1.2.3", digest: undefined }],
    ["localhost/app", { domain: "localhost", path: "app", tag: undefined, digest: undefined }],
    ["localhost:5000/app:dev", { domain: "localhost:5000", path: "app", tag: "dev", digest: undefined }],
    ["127.0.0.1:5000/a/b", { domain: "127.0.0.1:5000", path: "a/b", tag: undefined, digest: undefined }],
    ["[::1]:5000/app:1", { domain: "[::1]:5000", path: "app", tag: "1", digest: undefined }],
    // distribution's rule: an uppercase first component is a registry host.
    ["User/repo", { domain: "User", path: "repo", tag: undefined, digest: undefined }],
    ["Registry.Example.COM/app", { domain: "Registry.Example.COM", path: "app", tag: undefined, digest: undefined }],
    [`nginx@${SHA256}`, { domain: undefined, path: "nginx", tag: undefined, digest: SHA256 }],
    [
      `registry.depot.dev/abc123:prj-dep@${SHA256}`,
      { domain: "registry.depot.dev", path: "abc123", tag: "prj-dep", digest: SHA256 },
    ],
    [
      `a/b:c@sha512:${"0".repeat(128)}`,
      { domain: undefined, path: "a/b", tag: "c", digest: `sha512:${"0".repeat(128)}` },
    ],
    [
      "my_app__x.y-z---w/v:TAG_1.0-rc",
      { domain: undefined, path: "my_app__x.y-z---w/v", tag: "TAG_1.0-rc", digest: undefined },
    ],
    [`a:${"t".repeat(128)}`, { domain: undefined, path: "a", tag: "t".repeat(128), digest: undefined }],
  ])("%s", (input, expected) => {
    expect(parseImageReference(input)).toEqual(expected);
  });
});

const REJECTED: Array<[string, RegExp]> = [
  ["", /empty/],
  [" nginx", /whitespace/],
  ["nginx ", /whitespace/],
  ["https://ghcr.io/org/app", /no scheme/],
  ["Nginx", /lowercase/],
  ["ghcr.io/Org/app", /lowercase/],
  ["nginx:", /tag/],
  ["nginx:-x", /tag/],
  ["nginx:.x", /tag/],
  ["nginx:" + "t".repeat(129), /tag/], // 129-character tag
  ["nginx@sha256:abc", /digest/],
  [`nginx@sha256:${"A".repeat(64)}`, /lowercase hex/],
  [`nginx@sha256:${"a".repeat(63)}`, /64 lowercase hex/],
  [`nginx@md5:${"a".repeat(32)}`, /unsupported digest algorithm "md5"/],
  ["-nginx", /not a valid image reference/],
  ["nginx-", /not a valid image reference/],
  ["a//b", /not a valid image reference/],
  ["a/b/", /not a valid image reference/],
  ["ghcr.io:port/app", /not a valid image reference/],
  ["-bad.io/app", /not a valid image reference/],
  ["a...b", /not a valid image reference/],
  ["ghcr.io/" + "a".repeat(250), /not be more than 255/],
  ["x".repeat(1025), /more than 1024/],
  // Exponential backtracking in a looser grammar: must fail at once, not hang.
  ["docker.io/library/" + "a".repeat(40) + "!", /not a valid image reference/],
  ["a" + "-a".repeat(300) + "_", /not a valid image reference/],
];

describe("parseImageReference rejects", () => {
  // Long inputs get a short title.
  const cases = REJECTED.map(
    ([input, message]) =>
      [input.length > 60 ? `${input.slice(0, 40)}… (${input.length} chars)` : input, input, message] as const,
  );
  it.each(cases)("%s", (_title, input, message) => {
    expect(() => parseImageReference(input)).toThrow(message);
  });
});

describe("isValidImageReference / isValidTag", () => {
  it.each([
    ["nginx:1", true],
    ["NGINX", false],
  ])("reference %s → %s", (input, valid) => {
    expect(isValidImageReference(input)).toBe(valid);
  });

  it.each([
    ["prj_01h-dep_01h", true],
    ["v1.0", true],
    [".hidden", false],
    ["a/b", false],
    ["t".repeat(129), false], // 129 characters
  ])("tag %s → %s", (input, valid) => {
    expect(isValidTag(input)).toBe(valid);
  });
});
