/**
 * Slugs name workspaces and projects in hostnames (`<project>-<env>-<workspace>.<apex>`),
 * so each is a DNS label, and a project's and its workspace's together leave room in one
 * 63-character label for the longest generated part ("-git-<sha7>-", "-production-").
 */
export const SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
export const MAX_SLUG_LENGTH = 63;
/** 63 − len("-production-") = 51; commit domains need 63 − len("-git-1234567-") = 50. */
export const MAX_COMBINED_SLUG_LENGTH = 50;

/** Why `slug` is not a valid slug, or undefined when it is. */
export function slugProblem(slug: string): string | undefined {
  if (slug.length === 0) return "is empty";
  if (slug.length > MAX_SLUG_LENGTH) return `is ${slug.length} characters; at most ${MAX_SLUG_LENGTH}`;
  if (!SLUG_PATTERN.test(slug)) {
    return "must be lower-case letters, digits and '-', starting and ending with a letter or digit";
  }
  return undefined;
}

export function combinedSlugProblem(projectSlug: string, workspaceSlug: string): string | undefined {
  const length = projectSlug.length + workspaceSlug.length;
  if (length > MAX_COMBINED_SLUG_LENGTH) {
    return `project slug "${projectSlug}" and workspace slug "${workspaceSlug}" are ${length} characters together; at most ${MAX_COMBINED_SLUG_LENGTH} fit in a hostname label`;
  }
  return undefined;
}
