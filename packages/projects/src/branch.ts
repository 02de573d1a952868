/**
 * Branch names as git accepts them (git check-ref-format, the rules that matter here), so
 * a bad branch is refused at the API rather than failing a build later.
 */
export const MAX_BRANCH_LENGTH = 255;

export function branchProblem(branch: string): string | undefined {
  if (branch.length === 0) return "is empty";
  if (branch.length > MAX_BRANCH_LENGTH) return `is ${branch.length} characters; at most ${MAX_BRANCH_LENGTH}`;
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(branch)) return "contains a space, control character or one of ~ ^ : ? * [ \\";
  if (branch.includes("..") || branch.includes("@{") || branch.includes("//")) return 'contains "..", "@{" or "//"';
  if (branch.startsWith("/") || branch.endsWith("/") || branch.endsWith(".") || branch.startsWith("-")) {
    return "starts or ends with '/', ends with '.', or starts with '-'";
  }
  if (branch === "@" || branch.split("/").some((part) => part.startsWith(".") || part.endsWith(".lock"))) {
    return "has a component starting with '.' or ending with '.lock', or is '@'";
  }
  return undefined;
}
